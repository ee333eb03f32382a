"""Helpers for ``scripts/bench``: server launcher, load generators and the measurements."""
