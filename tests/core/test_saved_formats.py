"""Every saved format is read and written the same way (agentnb.core.saved).

A saved team, a cassette, a trace, an eval report and a cached reply each carry an envelope
(``format`` and ``version``): a file of a newer version is refused naming the file and saying
to upgrade agentnb, a file of another format is refused naming both formats, each round trip
gives back what was written, and files written by earlier agentnb still load.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic_evals import Case, Dataset

from agentnb import Agent, SavedFileError, Team, TextMessage
from agentnb.evals import SpeakerOrder, evaluate_sync, load_report
from agentnb.models import ModelError, ModelRequest, ScriptedModel, cached, complete, record, replay
from agentnb.trace import Trace

OLD = Path(__file__).parent / "data" / "written_by_18bcdcd"  # see make.py there
OLD_CASSETTE = Path(__file__).parent.parent / "models" / "data" / "written_before_appending.json"
TASK = "Write about the park vote"
QUESTION = ModelRequest(agent="writer", messages=[{"role": "user", "content": "park vote"}])


def desk(model: Any = None) -> Team:
    script = {"writer": ["Riverside votes to turn the rail yard into a park."], "editor": ["APPROVED"]}
    return Team(
        [Agent("writer"), Agent("editor")], model=model or ScriptedModel(script), name="desk", max_turns=2
    )


def texts(team: Team) -> list[str]:
    return [e.content for e in team.transcript if isinstance(e, TextMessage)]


def reply_model() -> ScriptedModel:
    return ScriptedModel({"writer": ["The council voted."]})


def ask_cache(directory: Path) -> str:
    """The reply to `QUESTION` through a response cache in ``directory`` (a read, then a write)."""
    return asyncio.run(complete(cached(reply_model(), directory), QUESTION)).text


# ----- one row per format: how to write one, read one, and where its envelope is ----------------


def write_team(folder: Path) -> Path:
    team = desk()
    team.run_sync(TASK)
    return team.save(folder / "team.json")


def read_team(path: Path) -> list[str]:
    return texts(Team.load(path, [Agent("writer"), Agent("editor")], model=desk().model))


def write_cassette(folder: Path) -> Path:
    path = folder / "run.json"
    desk(record(desk().model, path)).run_sync(TASK)
    return path


def read_cassette(path: Path) -> list[str]:
    team = desk(replay(path))
    team.run_sync(TASK)
    return texts(team)


def write_trace(folder: Path) -> Path:
    path = folder / "trace.jsonl"
    desk().run_sync(TASK).trace().to_jsonl(path)
    return path


def read_trace(path: Path) -> Any:
    trace = Trace.from_jsonl(path)
    return [(s.operation, s.label, s.status) for s in trace.spans], trace.summary().total


def write_report(folder: Path) -> Path:
    dataset = Dataset(
        name="desk", cases=[Case(name="park", inputs=TASK)], evaluators=[SpeakerOrder(["writer"])]
    )
    return evaluate_sync(desk, dataset, repeat=2, progress=False, name="desk").save(folder / "report.json")


def read_report(path: Path) -> str:
    return load_report(path).text()


def write_cached_reply(folder: Path) -> Path:
    ask_cache(folder / "cache")
    return cached(reply_model(), folder / "cache").path_for(QUESTION)


def read_cached_reply(path: Path) -> str:
    model = cached(ScriptedModel({"writer": ["a new call"]}), path.parent)
    text = asyncio.run(complete(model, QUESTION)).text
    assert model.hits == 1, f"{path} was not served from the cache"
    return text


@dataclass(frozen=True)
class Format:
    kind: str
    write: Callable[[Path], Path]
    read: Callable[[Path], Any]

    @property
    def noun(self) -> str:
        return self.kind.replace("-", " ")

    def __str__(self) -> str:
        return self.kind


FORMATS = [
    Format("team", write_team, read_team),
    Format("cassette", write_cassette, read_cassette),
    Format("trace", write_trace, read_trace),
    Format("eval-report", write_report, read_report),
    Format("cached-reply", write_cached_reply, read_cached_reply),
]


def header(path: Path) -> dict[str, Any]:
    """The envelope of a saved file: the whole JSON object, or a JSON-lines file's first line."""
    text = path.read_text(encoding="utf-8")
    return json.loads(text.splitlines()[0] if path.suffix == ".jsonl" else text)


def change_header(path: Path, **fields: Any) -> None:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        first, rest = text.split("\n", 1)
        path.write_text(json.dumps({**json.loads(first), **fields}) + "\n" + rest, encoding="utf-8")
    else:
        path.write_text(json.dumps({**json.loads(text), **fields}, indent=1), encoding="utf-8")


def refused(form: Format, path: Path) -> SavedFileError:
    with pytest.raises(SavedFileError) as info:
        form.read(path)
    error = info.value
    assert str(path) in str(error), f"the error does not name the file: {error}"
    assert isinstance(error, ValueError)  # what `except ValueError` around a load keeps catching
    if form.kind == "cassette":
        assert isinstance(error, ModelError)  # what `except ModelError` around a replay keeps catching
    return error


# ----- the checks, the same for every format -------------------------------------------------------


@pytest.mark.parametrize("form", FORMATS, ids=str)
def test_a_round_trip_gives_back_what_was_written_in_an_envelope(form: Format, tmp_path: Path) -> None:
    path = form.write(tmp_path)
    assert {k: header(path)[k] for k in ("format", "version")} == {
        "format": f"agentnb-{form.kind}",
        "version": 1,
    }
    first = form.read(path)
    assert first and form.read(path) == first
    assert not list(path.parent.glob(".*.tmp"))  # the atomic writer left no temporary file


@pytest.mark.parametrize("form", FORMATS, ids=str)
def test_a_file_of_a_newer_version_is_refused_saying_to_upgrade(form: Format, tmp_path: Path) -> None:
    path = form.write(tmp_path)
    change_header(path, version=2)
    before = path.read_bytes()
    message = str(refused(form, path))
    assert f"agentnb-{form.kind} version 2" in message
    assert "written by a newer agentnb: upgrade agentnb" in message
    assert path.read_bytes() == before  # not overwritten (a cache shared with a newer agentnb)


@pytest.mark.parametrize("form", FORMATS, ids=str)
def test_a_file_of_another_format_is_refused_naming_both(form: Format, tmp_path: Path) -> None:
    path = form.write(tmp_path)
    change_header(path, format="agentnb-something-else")
    before = path.read_bytes()
    message = str(refused(form, path))
    assert f"is not a saved agentnb {form.noun}" in message
    assert f"its format is 'agentnb-something-else', not 'agentnb-{form.kind}'" in message
    assert path.read_bytes() == before


@pytest.mark.parametrize("form", [f for f in FORMATS if f.kind != "cached-reply"], ids=str)
def test_a_file_that_is_not_json_is_refused_naming_the_file(form: Format, tmp_path: Path) -> None:
    path = tmp_path / ("notes.jsonl" if form.kind == "trace" else "notes.json")
    path.write_text("Minutes of the council meeting\n", encoding="utf-8")
    assert f"is not a saved agentnb {form.noun}" in str(refused(form, path))


def test_a_damaged_cached_reply_is_a_miss_that_the_new_reply_replaces(tmp_path: Path) -> None:
    path = write_cached_reply(tmp_path)
    path.write_text('{"format": "agentnb-cached-reply", "vers', encoding="utf-8")
    assert ask_cache(path.parent) == "The council voted."
    assert header(path)["format"] == "agentnb-cached-reply"


def test_a_damaged_eval_report_names_the_file(tmp_path: Path) -> None:
    path = write_report(tmp_path)
    change_header(path, report={"name": "desk", "cases": "none"})
    assert "the saved eval report is damaged" in str(refused(FORMATS[3], path))


# ----- files written by earlier agentnb still load ---------------------------------------------------


def test_a_team_saved_before_still_loads() -> None:
    assert read_team(OLD / "team.json") == [
        TASK,
        "Riverside votes to turn the rail yard into a park.",
        "APPROVED",
    ]


def test_a_cassette_recorded_before_still_replays() -> None:
    # tests/models/test_cassette_file.py replays its whole run; here: it passes the envelope check
    recorded = json.loads(OLD_CASSETTE.read_text())["interactions"][0]["response"]["text"]
    assert asyncio.run(complete(replay(OLD_CASSETTE, strict=False), QUESTION)).text == recorded


def test_a_trace_saved_before_still_loads() -> None:
    trace = Trace.from_jsonl(OLD / "trace.jsonl")
    assert [s.operation for s in trace.spans][:2] == ["invoke_workflow", "invoke_agent"]
    assert {s.agent for s in trace.spans} >= {"writer", "editor"}


def test_an_eval_report_saved_before_still_loads() -> None:
    report = load_report(OLD / "report.json")
    assert [c.name for c in report.cases] == ["park"] and report.pass_rate.runs == report.repeat


def test_a_cached_reply_stored_before_the_envelope_is_still_served(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    name = cached(reply_model(), cache).path_for(QUESTION).name
    shutil.copy(OLD / "cached_reply.json", cache / name)
    assert "format" not in json.loads((cache / name).read_text())  # as agentnb wrote it then
    assert read_cached_reply(cache / name) == "The council voted."
