"""Turning files into stored articles: read → normalise → chunk → store."""
