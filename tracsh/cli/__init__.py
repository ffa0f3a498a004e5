"""The tracsh command line."""
