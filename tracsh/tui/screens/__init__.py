"""The console's screens, one module each; tracsh/tui/app.py switches between them."""
