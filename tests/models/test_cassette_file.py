"""The cassette file: appended call by call (linear bytes), readable after a cut, compatible both ways.

``data/written_before_appending.json`` was recorded by agentnb at cde04f2, which rewrote the
whole file after every call: the newsroom run of test_cassette.py.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agentnb.models import FunctionModel, ModelError, ModelRequest, complete
from agentnb.models.cassette import load, replay
from agentnb.models.spec import record
from tests.conftest import require

from .test_cassette import newsroom_script, run_events

WRITTEN_BEFORE = Path(__file__).parent / "data" / "written_before_appending.json"
PROC_IO = Path("/proc/thread-self/io")  # this thread's count: other threads' writes stay out


def record_calls(path: Path, n: int) -> None:
    """Record ``n`` calls, each a distinct request with a reply of a few hundred bytes."""
    model = record(FunctionModel(lambda r: f"reply to {r.messages[-1]['content']} " + "words " * 40), path)

    async def go() -> None:
        for i in range(n):
            await complete(
                model, ModelRequest(agent="a", messages=[{"role": "user", "content": f"call {i}"}])
            )

    asyncio.run(go())


def bytes_written_by_this_thread() -> int:
    """What the kernel counted this thread handing to write() so far (Linux). Per thread, not per
    process: a thread another test left running (a store's writer, a kernel client) must not count."""
    fields = dict(line.split(": ") for line in PROC_IO.read_text().splitlines())
    return int(fields["wchar"])


def test_recording_writes_each_interaction_once_not_the_whole_file_again(tmp_path):
    require(PROC_IO.exists(), "/proc/thread-self/io (Linux's count of bytes written)")
    written = {}
    for n in (50, 200):
        path = tmp_path / f"run{n}.json"
        before = bytes_written_by_this_thread()
        record_calls(path, n)
        written[n] = (bytes_written_by_this_thread() - before, path.stat().st_size)
    for n, (total, size) in written.items():
        assert total < 1.2 * size, f"{n} calls wrote {total:,} bytes for a {size:,}-byte cassette"
    assert written[200][0] < 5 * written[50][0]  # linear: four times the calls, about four times the bytes


def test_the_file_is_the_indented_json_of_its_content_after_every_call(tmp_path):
    path = tmp_path / "run.json"
    model = record(FunctionModel(lambda r: "ok"), path)
    for i in range(3):
        text = path.read_text()
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
        assert len(json.loads(text)["interactions"]) == i
        asyncio.run(complete(model, ModelRequest(agent="a", messages=[{"role": "user", "content": str(i)}])))


def test_a_recording_cut_in_the_middle_of_a_write_loads_every_complete_call(tmp_path):
    path = tmp_path / "run.json"
    record_calls(path, 3)
    data = path.read_bytes()
    complete_two = data.rindex(b",\n    {")  # where the third interaction starts
    end_of_third = len(data) - len(b"\n  ]\n}\n")
    for cut in [*range(complete_two, end_of_third, 97), end_of_third - 1]:
        path.write_bytes(data[:cut])
        with pytest.warns(UserWarning, match="ends in the middle of an interaction .* the 2 complete ones"):
            interactions = load(path)
        assert [i["response"]["text"].split()[:4] for i in interactions] == [
            ["reply", "to", "call", "0"],
            ["reply", "to", "call", "1"],
        ]
    for cut in range(end_of_third, len(data) - 1):  # only the closing brackets missing
        path.write_bytes(data[:cut])
        with pytest.warns(UserWarning, match="the 3 complete ones"):
            assert len(load(path)) == 3


def test_a_cassette_damaged_before_its_end_is_an_error_not_a_shorter_replay(tmp_path):
    path = tmp_path / "run.json"
    record_calls(path, 3)
    text = path.read_text()
    damaged = text.replace('"content": "call 1"', '"content": "call 1" oops', 1)
    path.write_text(damaged[: len(damaged) - 20])  # cut at the end too
    with pytest.raises(ModelError, match=f"{path} is not a saved agentnb cassette \\(not JSON: "):
        load(path)


def test_a_cut_file_that_is_not_a_cassette_is_still_an_error(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text('{"format": "agentnb-cassette", "interactions": [{"key": "k", "resp')
    with pytest.raises(ModelError, match="nor one cut short by an interrupted recording"):
        load(path)


def test_a_cassette_recorded_before_appending_replays_the_same_run():
    assert run_events(replay(WRITTEN_BEFORE)) == run_events(newsroom_script())


def test_threads_recording_through_one_model_leave_every_call_in_a_valid_file(tmp_path):
    import threading

    path = tmp_path / "run.json"
    model = record(FunctionModel(lambda r: "ok " * 50), path)

    def calls(worker: int) -> None:
        for i in range(20):
            request = ModelRequest(agent="a", messages=[{"role": "user", "content": f"{worker}-{i}"}])
            asyncio.run(complete(model, request))

    threads = [threading.Thread(target=calls, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    asked = {i["request"]["messages"][-1]["content"] for i in json.loads(path.read_text())["interactions"]}
    assert asked == {f"{w}-{i}" for w in range(6) for i in range(20)}
