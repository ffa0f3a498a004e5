"""Widgets and renderings the console's screens share."""
