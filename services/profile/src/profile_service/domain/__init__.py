"""The profile service's domain: pure Python rules, no framework, no I/O beyond its data files."""
