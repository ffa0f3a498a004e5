"""The tracsh rule language: parse, check, compile, evaluate and format rules."""
