"""Data files shipped with the profile domain (allow-list seed, reference lists, passwords)."""
