"""Delivery of outbox rows: templates, channels, the worker, enrichers."""
