"""Harness of the contract suite: targets, live-safety guards, schemas, recordings, the model.

The tests in ``contract_tests/`` import from here. Nothing here imports pytest, so the
same code drives the emulator, an emulator at a URL and the live Wix API.
"""
