"""The package's public surface: every name in ``__all__`` resolves."""

from __future__ import annotations

import subprocess
import sys

import emulator


def test_all_names_resolve() -> None:
    for name in emulator.__all__:
        assert getattr(emulator, name) is not None, name


def test_unknown_name_raises() -> None:
    try:
        emulator.NotAName  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "NotAName" in str(error)
    else:
        raise AssertionError("emulator.NotAName resolved")


def test_import_does_not_load_starlette() -> None:
    code = "import sys, emulator; print('starlette' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "False"
