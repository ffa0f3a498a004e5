"""The prompt-toolkit REPL for rule authors."""
