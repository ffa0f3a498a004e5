"""Rule tests and dry runs: the real engine over a throw-away in-memory store.

Headless: ``tracsh test``, the REPL and the console use it alike.
"""
