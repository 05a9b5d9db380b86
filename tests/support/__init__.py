"""Reusable test servers (loopback emulators of external services)."""
