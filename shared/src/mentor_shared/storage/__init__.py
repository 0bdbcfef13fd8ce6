"""Storage connections: SQLite (embedded default) and MongoDB (production)."""
