"""Adapters of the messaging service's ports (SQLite, MongoDB, in-process fan-out)."""
