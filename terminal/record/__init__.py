"""The written record: SQLite behind typed methods."""
