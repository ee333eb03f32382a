"""Replay every recording under ``fixtures/recorded/`` against the emulator and diff it.

A difference fails unless ``allowed_differences.json`` lists it with the register entry
(``emulator.divergences.REGISTER``) that explains it. Each entry is
``{"divergence", "recording", "path", "exchange" (optional), "reason"}``; an entry that
no longer matches a difference fails too, so the list stays current.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from wixcontract.recording import (
    Allowance,
    Difference,
    Replayer,
    diff,
    load_allowances,
    unexplained,
)
from wixcontract.targets import Target

from emulator.divergences import REGISTER

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = sorted((ROOT / "fixtures" / "recorded").glob("*.json"))
ALLOWED = Path(__file__).resolve().parent / "allowed_differences.json"
KNOWN_DIVERGENCES = {entry.id for entry in REGISTER}


def test_some_recording_exists() -> None:
    assert RECORDINGS, "fixtures/recorded/ is empty; record with --target live --record"


@pytest.mark.parametrize("recording", RECORDINGS, ids=[path.stem for path in RECORDINGS])
def test_recording_replays_on_emulator(target: Target, recording: Path) -> None:
    if not target.is_emulator:
        pytest.skip("replays compare recordings with the emulator; use an emulator target")
    document = json.loads(recording.read_text())
    assert document["metadata"]["source"] in ("live", "emulator-self-check")
    allowances = [
        a for a in load_allowances(ALLOWED, KNOWN_DIVERGENCES) if a.recording == recording.name
    ]
    differences = Replayer(target, recording.name, document).run()
    left = unexplained(differences, allowances)
    assert not left, "replay differs from the recording:\n" + "\n".join(map(str, left))
    unused = [a for a in allowances if not any(a.covers(d) for d in differences)]
    assert not unused, f"allowed differences that no longer occur; remove them: {unused}"


def test_allowances_name_register_entries() -> None:
    load_allowances(ALLOWED, KNOWN_DIVERGENCES)


def test_unknown_divergence_in_allow_list_rejected(tmp_path: Path) -> None:
    listed = tmp_path / "allowed.json"
    listed.write_text(json.dumps([{"divergence": "no-such", "recording": "x.json", "path": "a"}]))
    with pytest.raises(ValueError, match="no-such"):
        load_allowances(listed, KNOWN_DIVERGENCES)


def test_diff_reports_paths_and_allowance_covers() -> None:
    recorded = {"status": 200, "body": {"job": {"status": "FINISHED", "counts": {"total": 2}}}}
    replayed = {"status": 200, "body": {"job": {"status": "PROCESSING", "extra": 1}}}
    found = diff(recorded, replayed, "r.json", 3)
    assert [d.path for d in found] == [
        "body.job.counts",
        "body.job.extra",
        "body.job.status",
    ]
    allowance = Allowance("job-timing", "r.json", "body.job.status", exchange=3)
    assert unexplained(found, [allowance]) == [d for d in found if d.path != "body.job.status"]
    other = Difference("r.json", 4, "body.job.status", "FINISHED", "PROCESSING")
    assert not allowance.covers(other)
