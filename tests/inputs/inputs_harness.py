"""What the input tests share: a fixed receipt time and a summary of items."""

from tracsh.inputs import Accepted

RECEIVED = "2024-05-01T12:00:00+00:00"
"""The receipt time every test reads with, so events without a time get it."""


def summary(items):
    """(line, type) for accepted events, (line, reason) for rejects."""
    return [
        (item.line, item.event["type"])
        if isinstance(item, Accepted)
        else (item.line, item.reason)
        for item in items
    ]
