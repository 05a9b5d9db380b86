"""The PostgreSQL backend of the storage port (install the `postgres` extra)."""
