"""Running briefbot for real: metrics, health, the doctor's checks, logs, export and backup.

Core code like the engine: it never imports Telegram.
"""
