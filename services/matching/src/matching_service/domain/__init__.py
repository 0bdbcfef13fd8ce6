"""The matching service's domain: pure Python and numpy rules, no framework, no I/O."""
