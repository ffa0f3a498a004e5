"""The errors the store raises for things a person can fix."""


class StoreError(Exception):
    """The database cannot be used as asked: wrong file, newer schema, bad value."""


class ReadOnlyError(StoreError):
    """A write was attempted on a store opened with ``readonly=True``."""
