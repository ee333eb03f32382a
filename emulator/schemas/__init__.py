"""JSON Schemas (draft 2020-12) of the REST objects and 200 responses the emulator serves.

One file per object (account, transaction, program, job, job item, paging metadata,
error envelope, contact), ``common.json`` for shared formats and ``responses.json`` for
the response wrappers. Files refer to each other by file name, e.g.
``{"$ref": "account.json#/$defs/points"}``. The OpenAPI document and the contract tests
both read them from here.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_FILES = (
    "common.json",
    "account.json",
    "transaction.json",
    "program.json",
    "job.json",
    "job-item.json",
    "paging-metadata.json",
    "error.json",
    "contact.json",
    "responses.json",
)


@cache
def _load_text(name: str) -> str:
    if name not in SCHEMA_FILES:
        raise KeyError(f"no schema file {name!r}; known files: {', '.join(SCHEMA_FILES)}")
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """Return a fresh copy of the schema in file ``name``, e.g. ``"account.json"``."""
    schema: dict[str, Any] = json.loads(_load_text(name))
    return schema


def load_all() -> dict[str, dict[str, Any]]:
    """Return every schema file, keyed by file name."""
    return {name: load_schema(name) for name in SCHEMA_FILES}
