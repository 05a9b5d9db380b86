"""Reusable test helpers (loopback servers, content builders)."""
