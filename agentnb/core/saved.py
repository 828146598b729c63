"""Saved files: one envelope (format name and version), one version check, one atomic writer.

Every file agentnb writes to be read again says what it is: a saved team, a cassette, an eval
report and a cached reply are JSON objects with a ``format`` (``agentnb-<kind>``) and a
``version``; a trace is JSON lines whose first line is that envelope. Each is written
atomically with `write_text` / `write_json` (a crash leaves the old file or the new one, never
half of one), and each reader checks it with `check_envelope` (or `check_header` for the first
line of JSON lines), so every format refuses a file the same way: `SavedFileError` naming the
file and what is wrong with it — not JSON, another format, or a newer version (upgrade agentnb).
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


def check_envelope(
    data: Any,
    kind: str,
    versions: Collection[int],
    where: str,
    *,
    how: str = "",
    unversioned: int | None = None,
) -> dict[str, Any]:
    """``data`` if it is a saved ``agentnb-<kind>`` of a version this agentnb reads.

    ``where`` names the file in errors; ``how`` says how to make a right one ("save one with
    report.save(path)"). ``unversioned`` is the version an object without a ``format`` is read
    as: files written before their format had an envelope (None: such objects are refused).
    """
    name, noun = f"agentnb-{kind}", kind.replace("-", " ")
    if unversioned is not None and isinstance(data, dict) and "format" not in data:
        data = {**data, "format": name, "version": unversioned}
    if not isinstance(data, dict) or data.get("format") != name:
        if isinstance(data, dict):
            found = f"its format is {data.get('format')!r}"
        else:
            found = f"it is a JSON {json_kind(data)}"
        advice = f"; {how}" if how else ""
        raise SavedFileError(f"{where} is not a saved agentnb {noun} ({found}, not {name!r}){advice}")
    version = data.get("version")
    if type(version) is not int or version not in versions:
        newest = max(versions)
        advice = (
            "it was written by a newer agentnb: upgrade agentnb to read it"
            if type(version) is int and version > newest
            else "it cannot be read by this agentnb"
        )
        raise SavedFileError(
            f"{where} has {name} version {version!r}; this agentnb reads {sorted(versions)}: {advice}"
        )
    return data


def check_header(
    line: str, kind: str, versions: Collection[int], where: str, *, how: str = ""
) -> dict[str, Any]:
    """The envelope on the first line of a JSON-lines file, checked as `check_envelope` does."""
    try:
        header = json.loads(line)
    except ValueError:
        advice = f"; {how}" if how else ""
        raise SavedFileError(
            f"{where} is not a saved agentnb {kind.replace('-', ' ')} (its first line is not a JSON "
            f"'agentnb-{kind}' header){advice}"
        ) from None
    return check_envelope(header, kind, versions, where, how=how)


def read_text(path: str | Path, kind: str) -> str:
    """The text of a saved file; `SavedFileError` if it cannot be read or is not text."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SavedFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SavedFileError(f"{path} is not a saved agentnb {kind.replace('-', ' ')} (not text)") from None


def load_json(path: str | Path, kind: str) -> Any:
    """The JSON in a saved file, not yet checked; `SavedFileError` if it is unreadable or not JSON."""
    text = read_text(path, kind)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SavedFileError(
            f"{path} is not a saved agentnb {kind.replace('-', ' ')} (not JSON: {exc})"
        ) from None


def read_json(
    path: str | Path, kind: str, versions: Collection[int], *, how: str = "", unversioned: int | None = None
) -> dict[str, Any]:
    """A saved file's data, checked; `SavedFileError` names the file and the problem."""
    data = load_json(path, kind)
    return check_envelope(data, kind, versions, str(path), how=how, unversioned=unversioned)


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (a temporary file beside it, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically (see `write_text`)."""
    return write_text(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def json_kind(value: Any) -> str:
    """What kind of JSON value ``value`` is, in words (for errors): "list", "string", "null"..."""
    names = {list: "list", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
