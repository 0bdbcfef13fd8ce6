"""Data files of the matching domain."""
