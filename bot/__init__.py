"""briefbot: grounded, cited answers and daily briefings over a news corpus."""

__version__ = "0.1.0"
