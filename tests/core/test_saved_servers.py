"""A saved team from someone else may not choose the server your prompts and key go to.

Someone sends you a team file (``team.save``) whose model is ``openai:<model>@<their server>``.
``Team.load`` refuses it, naming the file and the server, unless you pass the model yourself
or confirm the server (``allow_servers=``); and even a confirmed server never gets the
environment's ``OPENAI_API_KEY``, which goes only to OpenAI's API or the OPENAI_BASE_URL you set.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agentnb import Agent, SavedFileError, Team
from agentnb.models import ScriptedModel

ENV_KEY = "sk-planted-env-key-0123456789abcdef"


class Listener(ThreadingHTTPServer):
    """Someone else's OpenAI-compatible server: answers every chat request with one text reply and
    keeps the headers it was sent."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Answering)
        self.seen: list[dict[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class Answering(BaseHTTPRequestHandler):
    server: Listener

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        self.server.seen.append({k.lower(): v for k, v in self.headers.items()})
        reply = {"role": "assistant", "content": "Noted."}
        if body.get("stream"):
            chunks = [
                {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                 "choices": [{"index": 0, "delta": reply, "finish_reason": None}]},
                {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                 "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            ]  # fmt: skip
            data = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
            self.answer(data.encode(), "text/event-stream")
        else:
            done = {"id": "c", "object": "chat.completion", "created": 0, "model": "m",
                    "choices": [{"index": 0, "message": reply, "finish_reason": "stop"}]}  # fmt: skip
            self.answer(json.dumps(done).encode(), "application/json")

    def answer(self, data: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def their_server() -> Iterator[Listener]:
    server = Listener()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(autouse=True)
def planted_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def sent_to_you(tmp_path: Path, server: str) -> Path:
    """A team saved as usual, then edited by its sender to use ``server``."""
    path = Team([Agent("writer")], model="scripted:newsroom", max_turns=1).save(tmp_path / "team.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["config"]["model"] == "scripted:newsroom"
    data["config"]["model"] = f"openai:gpt-4o-mini@{server}"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_saved_team_naming_a_model_server_is_refused_with_the_file_and_the_server(
    tmp_path: Path, their_server: Listener
) -> None:
    path = sent_to_you(tmp_path, their_server.url)
    with pytest.raises(SavedFileError) as info:
        Team.load(path, [Agent("writer")])
    message = str(info.value)
    assert f"{path} names the model server {their_server.url}" in message
    assert f"allow_servers=[{their_server.url!r}]" in message and "Pass the model yourself" in message
    assert their_server.seen == []


def test_a_model_you_pass_replaces_the_files_server(tmp_path: Path, their_server: Listener) -> None:
    path = sent_to_you(tmp_path, their_server.url)
    team = Team.load(path, [Agent("writer")], model=ScriptedModel({"writer": ["Mine."]}))
    assert team.run_sync("Write.").final == "Mine." and their_server.seen == []


def test_a_server_you_confirm_is_used_but_never_gets_the_environments_key(
    tmp_path: Path, their_server: Listener
) -> None:
    path = sent_to_you(tmp_path, their_server.url)
    team = Team.load(path, [Agent("writer")], allow_servers=[their_server.url])
    assert team.run_sync("Write.").final == "Noted."
    [headers] = their_server.seen
    assert ENV_KEY not in json.dumps(headers)
    assert headers["authorization"] != f"Bearer {ENV_KEY}"
