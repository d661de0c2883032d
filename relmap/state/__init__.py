"""The sync state of one mapping, in SQLite: opening and checking it, its lock, its links, and a read-only view."""
