"""``new_id``: the GUIDs behind every account, transaction, job and job item ID."""

from __future__ import annotations

import os
import uuid

import pytest

from emulator import models


def test_new_id_is_version_4_guid() -> None:
    for _ in range(1000):
        text = models.new_id()
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text


def test_new_id_matches_uuid4_for_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(200):
        random_bytes = os.urandom(16)
        monkeypatch.setattr(models.os, "urandom", lambda size, data=random_bytes: data[:size])
        expected = str(uuid.UUID(bytes=random_bytes, version=4))
        assert models.new_id() == expected


def test_new_id_values_are_unique() -> None:
    ids = {models.new_id() for _ in range(10_000)}
    assert len(ids) == 10_000
