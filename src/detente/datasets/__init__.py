"""Readers for validation data sets (DEU III)."""
