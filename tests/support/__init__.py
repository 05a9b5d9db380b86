"""Reusable test helpers: loopback emulators of external services, content builders."""
