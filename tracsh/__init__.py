"""tracsh: a terminal-native customer-data automation engine over SQLite."""

__version__ = "0.1.0"
