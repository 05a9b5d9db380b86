"""The Telegram bot: a thin layer of PTB handlers over the engine (see app.build_application)."""
