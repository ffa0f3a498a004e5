"""The HTTP collector and the daemon that runs it."""
