"""WixJSONResponse writes the same bytes as starlette's standard JSON encoding."""

from __future__ import annotations

import json

from starlette.responses import JSONResponse

from emulator.rest.responses import WixJSONResponse

SAMPLES = [
    {"account": {"id": "e6f39a5b", "points": {"balance": 15}, "revision": "4", "tier": None}},
    {"message": 'naïve café ☕ \u2028 "quoted"', "details": {"data": {}}},
    {"epochSeconds": 1767225600.123, "count": 9_223_372_036_854_775_807, "ok": True},
    {"results": [], "nested": [[1, 2], {"a": [None, False]}]},
]


def test_bytes_match_standard_encoding() -> None:
    for sample in SAMPLES:
        assert WixJSONResponse(sample).body == JSONResponse(sample).body, sample


def test_body_round_trips() -> None:
    for sample in SAMPLES:
        assert json.loads(WixJSONResponse(sample).body) == sample
