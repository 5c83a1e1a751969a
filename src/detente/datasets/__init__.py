"""Readers for outside data: analysts' actor tables (BDM, KTAB) and validation data sets."""
