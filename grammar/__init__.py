"""The tracsh grammar, shipped as package data (grammar/tracsh.lark)."""
