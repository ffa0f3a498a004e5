"""The SQLite store: profiles, sessions, events, outbox, rejects, statistics."""
