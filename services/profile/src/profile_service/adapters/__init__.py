"""Implementations of the profile service's ports (hashing, signing keys, stores)."""
