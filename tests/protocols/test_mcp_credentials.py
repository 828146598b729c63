"""Credentials given to MCP servers: headers over streamable HTTP, the environment of stdio servers.

The servers are written with the official ``mcp`` SDK (tests/protocols/servers): one over
HTTP reports the headers it received, one over stdio the environment it started with. What a
server gets must arrive; what is secret must not show anywhere agentnb writes.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from agentnb import Agent, Team
from agentnb.core.events import ToolResult, events_to_data
from agentnb.models import ScriptedModel
from agentnb.models.scripted import call
from tests.protocols.conftest import SERVERS, Uvicorn, need_mcp

pytestmark = pytest.mark.usefixtures("mcp_sdk")

TOKEN = "tok-test-5f2e9c41d7a03b86"  # no known key shape: only the header rule can hide it
AUTHORIZATION = f"Bearer {TOKEN}"
API_KEY = "xk-test-0b7d44e1c9a2f365"
PLANTED = "sk-planted-3c8e1f0a9b7d5e24"


@pytest.fixture
def mcp_sdk() -> None:
    need_mcp()


def MCPServer() -> Any:
    from agentnb.protocols.mcp import MCPServer as server

    return server


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def header_server(require: str | None = None) -> tuple[Uvicorn, Any]:
    from tests.protocols.servers.header_server import Recorder, app

    recorder = Recorder()
    return Uvicorn(lambda url: app(url, recorder, require=require)), recorder


def one_call(server: Any, tool: str, **arguments: Any) -> tuple[Team, ToolResult]:
    """A one-agent team that calls ``tool`` of ``server`` once, then says 'done'."""
    agent = Agent(
        "worker", tools=[server], model=ScriptedModel({"worker": [call(tool, **arguments), "done"]})
    )
    team = Team([agent], max_turns=1)
    result = team.run_sync("work")
    (outcome,) = [e for e in result.messages if isinstance(e, ToolResult)]
    return team, outcome


# ----- headers over streamable HTTP ------------------------------------------------------------------


def test_credential_headers_reach_the_http_server_and_show_nowhere_agentnb_writes(tmp_path: Path) -> None:
    listening, recorder = header_server(require=AUTHORIZATION)
    with listening:
        server = MCPServer().http(
            f"{listening.url}mcp", headers={"Authorization": AUTHORIZATION, "X-Api-Key": API_KEY}
        )
        team, outcome = one_call(server, "whoami")
    assert recorder.seen and all(
        seen["authorization"] == AUTHORIZATION and seen["x-api-key"] == API_KEY for seen in recorder.seen
    )
    answer = json.loads(outcome.content)
    assert not outcome.is_error
    assert answer["authorization sha256"] == digest(AUTHORIZATION)  # what the server got, intact
    assert answer["x-api-key sha256"] == digest(API_KEY)
    assert answer["authorization"] == answer["authorization token"] == "[REDACTED]"  # its echo, scrubbed
    assert answer["x-api-key"] == "[REDACTED]"
    result = team.last_result
    assert result is not None
    written = {
        "repr": repr(server),
        "str": str(server),
        "result": result.to_json(),
        "transcript": json.dumps(events_to_data(list(team.transcript))),
        "trace": result.trace().to_jsonl(tmp_path / "trace.jsonl", capture_content=True),
        "saved team": team.save(tmp_path / "team.json").read_text(),
    }
    for where, text in written.items():
        assert TOKEN not in text and API_KEY not in text, where


def test_a_key_in_the_url_is_used_but_never_shown_in_the_servers_name() -> None:
    listening, _ = header_server()
    with listening:
        server = MCPServer().http(f"{listening.url}mcp?api_key={API_KEY}", headers={"X-Trace": "1"})
        _, outcome = one_call(server, "whoami")
    assert not outcome.is_error
    assert API_KEY not in repr(server) and API_KEY not in server.origin
    assert server.origin.endswith("/mcp?api_key=[REDACTED]")
    assert server.secrets() == [API_KEY]


def test_a_server_that_answers_401_fails_the_run_saying_so_without_quoting_the_token() -> None:
    from agentnb.core.errors import RunError

    listening, _ = header_server(require=AUTHORIZATION)
    with listening:
        anonymous = MCPServer().http(f"{listening.url}mcp", name="guarded")
        with pytest.raises(RunError) as missing:
            one_call(anonymous, "whoami")
        wrong = MCPServer().http(
            f"{listening.url}mcp", headers={"Authorization": "Bearer tok-wrong-77aa66bb55cc"}, name="guarded"
        )
        with pytest.raises(RunError) as refused:
            one_call(wrong, "whoami")
    for caught in (missing, refused):
        message = str(caught.value)
        assert "MCP server 'guarded' could not be started or reached" in message
        assert "it answered HTTP 401 Unauthorized: 'missing or wrong bearer token'" in message
        assert "headers=" in message and "ExceptionGroup" not in message
    assert "tok-wrong-77aa66bb55cc" not in str(refused.value)


# ----- the environment of stdio servers --------------------------------------------------------------


def env_server(**options: Any) -> Any:
    return MCPServer().stdio(sys.executable, [str(SERVERS / "env_server.py")], name="env", **options)


def environment_of(server: Any) -> dict[str, str]:
    _, outcome = one_call(server, "environment")
    assert not outcome.is_error, outcome.content
    return json.loads(outcome.content)


def test_a_stdio_server_gets_no_secret_of_the_parent_environment_by_default(monkeypatch: Any) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    monkeypatch.setenv("SOME_OPAQUE_TOKEN", "opaque-but-named-like-a-token")
    seen = environment_of(env_server())
    assert "OPENAI_API_KEY" not in seen and "SOME_OPAQUE_TOKEN" not in seen
    assert "PATH" in seen  # what a program needs to start still arrives
    assert PLANTED not in json.dumps(seen)


def test_inherit_env_passes_a_parent_variable_as_it_is_and_its_value_stays_out_of_results(
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    monkeypatch.setenv("SOME_OPAQUE_TOKEN", "opaque-but-named-like-a-token")
    server = env_server(inherit_env=["OPENAI_API_KEY", "NOT_SET_ANYWHERE"])
    seen = environment_of(server)
    assert seen["OPENAI_API_KEY"] == digest(PLANTED)
    assert "SOME_OPAQUE_TOKEN" not in seen and "NOT_SET_ANYWHERE" not in seen
    _, shown = one_call(server, "variable", key="OPENAI_API_KEY")
    assert shown.content == "[REDACTED]"
    assert server.secrets() == [PLANTED]


def test_env_gives_a_stdio_server_a_secret_the_parent_does_not_have(monkeypatch: Any) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    given = "given-on-purpose-9d8c7b6a"  # no key shape: secret by its name only
    server = env_server(env={"OPENAI_API_KEY": given})
    assert environment_of(server)["OPENAI_API_KEY"] == digest(given)
    _, shown = one_call(server, "variable", key="OPENAI_API_KEY")
    assert shown.content == "[REDACTED]" and given not in repr(server)
