"""Saved files: one envelope (format name and version) and one reader for every format.

A saved team, a cassette, a trace, an eval report and a response cache are JSON with a
``format`` and a ``version``. `write_json` writes one atomically (a crash leaves the old
file or the new one, never half of one); `read_json` and `check_envelope` read one back
and say which file is wrong and how: not JSON, another format, a newer version.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from agentnb.core.errors import SavedFileError


def envelope(kind: str, version: int, **fields: Any) -> dict[str, Any]:
    """The start of a saved document of format ``agentnb-<kind>``."""
    return {"format": f"agentnb-{kind}", "version": version, **fields}


def check_envelope(data: Any, kind: str, versions: Collection[int], where: str) -> dict[str, Any]:
    """``data`` if it is a saved ``agentnb-<kind>`` of a version this agentnb reads."""
    name = f"agentnb-{kind}"
    if not isinstance(data, dict) or data.get("format") != name:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise SavedFileError(f"{where} is not a saved agentnb {kind} (its format is {found!r}, not {name!r})")
    version = data.get("version")
    if version not in versions:
        newest = max(versions)
        advice = (
            "it was written by a newer agentnb: upgrade agentnb to read it"
            if isinstance(version, int) and version > newest
            else "it cannot be read by this agentnb"
        )
        raise SavedFileError(
            f"{where} has {name} version {version!r}; this agentnb reads {sorted(versions)}: {advice}"
        )
    return data


def read_json(path: str | Path, kind: str, versions: Collection[int]) -> dict[str, Any]:
    """A saved file's data, checked; `SavedFileError` names the file and the problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SavedFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SavedFileError(f"{path} is not a saved agentnb {kind} (not text)") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SavedFileError(f"{path} is not a saved agentnb {kind} (not JSON: {exc})") from None
    return check_envelope(data, kind, versions, str(path))


def write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
