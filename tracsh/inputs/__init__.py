"""Readers that turn files and streams into events or rejects."""
