"""MCP servers' tools in agentnb teams: real reference servers, and servers that misbehave on purpose."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from agentnb import Agent, Human, Team
from agentnb.core.events import ToolProgress, ToolResult
from agentnb.core.result import TeamResult
from agentnb.models import FunctionModel, ScriptedModel
from agentnb.models.scripted import call
from tests.processes import environment, gone
from tests.protocols.conftest import (
    LOOPBACK,
    RAW,
    SERVERS,
    everything,
    free_port,
    need_mcp,
    reference_server,
    stop,
    wait_for_port,
)

pytestmark = pytest.mark.usefixtures("mcp_sdk")


@pytest.fixture
def mcp_sdk() -> None:
    need_mcp()


def MCPServer() -> Any:
    from agentnb.protocols.mcp import MCPServer as server

    return server


def run_calls(tools: list[Any], calls: list[dict[str, Any]], **team: Any) -> TeamResult:
    """A one-agent team whose scripted model makes ``calls`` (one per round), then says 'done'.

    The result's ``streamed`` holds every event the run streamed (progress is streamed, not kept).
    """
    agent = Agent(
        "worker",
        tools=tools,
        model=ScriptedModel({"worker": [*calls, "done"]}),
        max_tool_iterations=len(calls) + 1,
        max_failures=len(calls) + 1,
    )
    built = Team([agent], max_turns=1, **team)

    async def run() -> list[Any]:
        return [event async for event in built.stream("work")]

    streamed = asyncio.run(run())
    result = built.last_result
    assert result is not None
    result.streamed = streamed  # type: ignore[attr-defined]
    return result


def results(result: TeamResult) -> list[ToolResult]:
    return [e for e in result.messages if isinstance(e, ToolResult)]


def raw(*args: str, **options: Any) -> Any:
    return MCPServer().stdio(sys.executable, [RAW, *args], name="raw", **options)


# ----- reference servers ---------------------------------------------------------------------------


def test_an_agent_gets_every_tool_a_reference_server_lists_and_calls_them() -> None:
    time_server = MCPServer().stdio(reference_server("mcp-server-time"), name="time")
    result = run_calls([time_server], [call("get_current_time", timezone="UTC")])
    (outcome,) = results(result)
    assert not outcome.is_error
    assert json.loads(outcome.content)["timezone"] == "UTC"
    assert result.final == "done"
    assert {t.name for t in asyncio.run(_tools(time_server))} == {"get_current_time", "convert_time"}


async def _tools(server: Any) -> list[Any]:
    async with server:
        return await server.list_tools()


def test_a_server_error_result_goes_back_to_the_model_and_the_run_goes_on() -> None:
    time_server = MCPServer().stdio(reference_server("mcp-server-time"), name="time")
    result = run_calls([time_server], [call("get_current_time", timezone="Mars/Olympus_Mons")])
    (outcome,) = results(result)
    assert outcome.is_error and "Mars/Olympus_Mons" in outcome.content
    assert result.final == "done"


def test_git_tools_can_be_filtered_and_prefixed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    git = MCPServer().stdio(reference_server("mcp-server-git"), ["--repository", str(repo)], name="git")
    some = git.tools("git_status", "git_log", prefix="repo_")
    offered = asyncio.run(_tools(some))
    assert [t.name for t in offered] == ["repo_git_status", "repo_git_log"]
    assert {t.origin for t in offered} == {"mcp:git"}
    result = run_calls([some], [call("repo_git_status", repo_path=str(repo))])
    (outcome,) = results(result)
    assert not outcome.is_error and "main" in outcome.content
    with pytest.raises(ValueError, match="no tool 'git_push'"):
        asyncio.run(_tools(git.tools("git_push")))


# ----- server-everything: every kind of tool, over stdio and streamable HTTP -------------------------


def everything_stdio(**options: Any) -> Any:
    return MCPServer().stdio("node", [everything(), "stdio"], name="everything", **options)


@pytest.fixture
def everything_http() -> Any:
    port = free_port()
    process = subprocess.Popen(
        ["node", "--require", LOOPBACK, everything(), "streamableHttp"],
        env={**environment(), "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield MCPServer().http(f"http://127.0.0.1:{port}/mcp", name="everything")
    finally:
        stop(process)


EVERY_KIND = [
    call("echo", message="hello"),
    call("get-structured-content", location="Chicago"),
    call("get-tiny-image"),
    call("get-resource-links", count=2),
    call("get-resource-reference", resourceType="Text", resourceId=1),
    call("trigger-long-running-operation", duration=0.3, steps=3),
    call("get-sum", a="two", b=3),  # invalid arguments: caught before the call
]


def check_every_kind(result: TeamResult) -> None:
    echo, structured, image, links, resource, slow, invalid = results(result)
    assert "hello" in echo.content and not echo.is_error
    data = json.loads(
        next(d["application/json"] for d in structured.display or [] if "application/json" in d)
    )
    assert {"temperature", "conditions", "humidity"} <= set(data)
    assert image.display and "image/png" in image.display[0] and "shown to the user" in image.content
    assert links.content.count("[resource link:") == 2
    assert "[resource <" in resource.content
    progress = [e for e in result.streamed if isinstance(e, ToolProgress)]  # type: ignore[attr-defined]
    assert [p.progress for p in progress] == [1, 2, 3] and {p.call_id for p in progress} == {slow.call_id}
    assert progress[-1].total == 3 and not slow.is_error
    assert invalid.is_error and "is not of type 'number'" in invalid.content
    assert result.final == "done"


def test_every_kind_of_tool_of_server_everything_over_stdio() -> None:
    check_every_kind(run_calls([everything_stdio()], EVERY_KIND))


def test_every_kind_of_tool_of_server_everything_over_streamable_http(everything_http: Any) -> None:
    check_every_kind(run_calls([everything_http], EVERY_KIND))


def test_a_stdio_server_inherits_no_secret_and_what_it_is_given_is_redacted(monkeypatch: Any) -> None:
    monkeypatch.setenv("MY_SERVICE_API_KEY", "sk-notebook-secret-0123456789")
    monkeypatch.setenv("PLAIN_SETTING", "harmless")
    server = everything_stdio(env={"SERVICE_TOKEN": "tok-given-on-purpose-42", "COLOR": "blue"})
    (outcome,) = results(run_calls([server], [call("get-env")]))
    assert "sk-notebook-secret" not in outcome.content and "MY_SERVICE_API_KEY" not in outcome.content
    assert "PLAIN_SETTING" not in outcome.content  # only what a program needs to start, and what is given
    assert '"COLOR": "blue"' in outcome.content and '"PATH"' in outcome.content
    assert (
        '"SERVICE_TOKEN": "[REDACTED]"' in outcome.content and "tok-given-on-purpose" not in outcome.content
    )


def test_describe_shows_each_tool_with_its_description_and_parameters() -> None:
    text = str(everything_stdio().describe())
    assert text.startswith("MCP server mcp:everything: ")
    assert "echo(message): " in text and "get-sum(a, b): " in text


# ----- approval ------------------------------------------------------------------------------------


def test_an_approval_request_names_the_server_a_tool_comes_from() -> None:
    asked: list[str] = []
    person = Human(
        "alice", approve_fn=lambda agent, c: (asked.append(f"{agent}: {c.name} {c.origin}"), (True, ""))[1]
    )
    server = raw(requires_approval=["noop"])
    agent = Agent(
        "worker", tools=[server], model=ScriptedModel({"worker": [call("noop"), call("pid"), "done"]})
    )
    result = Team([agent, person], max_turns=1).run_sync("work")
    assert asked == ["worker: noop mcp:raw"]  # pid needs no approval
    assert [r.is_error for r in results(result)] == [False, False]


def test_a_human_asked_for_approval_sees_the_server_in_the_prompt() -> None:
    prompts: list[str] = []
    person = Human("alice", input_fn=lambda prompt: (prompts.append(prompt), "y")[1])
    agent = Agent(
        "worker", tools=[raw(requires_approval=True)], model=ScriptedModel({"worker": [call("noop"), "ok"]})
    )
    Team([agent, person], max_turns=1).run_sync("work")
    assert prompts == ["worker wants to run noop({}) from mcp:raw\nApprove? [y/N] "]


# ----- failures ------------------------------------------------------------------------------------


def test_invalid_arguments_are_checked_against_the_servers_schema_before_the_call() -> None:
    (outcome,) = results(run_calls([raw()], [call("big", size="ten")]))
    assert outcome.is_error and "size: 'ten' is not of type 'integer'" in outcome.content
    assert '"size": {"type": "integer", "minimum": 0}' in outcome.content


def test_a_tool_with_a_bad_schema_is_left_out_and_said_so() -> None:
    server = raw("--bad-schema")
    names = [t.name for t in asyncio.run(_tools(server))]
    assert "broken" not in names and "noop" in names
    description = server.describe()
    assert [name for name, _ in description.skipped] == ["broken"]
    assert "not valid JSON Schema" in str(description)


def test_a_server_with_500_tools_offers_them_all() -> None:
    server = raw("--tools", "500")
    result = run_calls([server], [call("tool_499", x=7)])
    (outcome,) = results(result)
    assert outcome.content == 'tool_499 got {"x": 7}'
    assert len(asyncio.run(_tools(server))) == 505


def test_a_10_mb_result_is_cut_with_a_note() -> None:
    (outcome,) = results(run_calls([raw(max_output=20_000)], [call("big", size=10 * 1024 * 1024)]))
    assert len(outcome.content) < 21_000
    assert "the result had 10,485,760 characters; the first 20,000 are shown" in outcome.content


def test_a_crashed_server_is_restarted_once_then_its_tools_fail_clearly() -> None:
    calls = [call("pid"), call("crash"), call("pid"), call("crash"), call("pid")]
    result = run_calls([raw()], calls)
    first, crash, second, crash_again, last = results(result)
    assert (
        crash.is_error
        and "stopped (its stderr ends: 'boom: the raw server crashes on purpose')" in crash.content
    )
    assert "started again at the next call" in crash.content
    assert not second.is_error and second.content != first.content  # a new process
    assert crash_again.is_error and "stopped 2 times in this run" in crash_again.content
    assert last.is_error and "unavailable until the run ends" in last.content
    assert result.final == "done"  # the run went on
    assert gone(int(first.content)) and gone(int(second.content))


def test_a_call_that_runs_over_its_timeout_is_an_error_the_model_reads() -> None:
    result = run_calls([raw(timeout=0.5)], [call("sleep", seconds=0.8), call("noop")])  # noop waits 0.3 s
    slow, after = results(result)
    assert slow.is_error and "timed out after 0.5 s; the server was asked to cancel it" in slow.content
    assert after.content == "ok" and result.final == "done"


def test_a_server_that_hangs_at_start_fails_the_run_with_a_clear_error() -> None:
    from agentnb.core.errors import RunError

    hanging = raw("--hang", connect_timeout=1)
    with pytest.raises(RunError, match=r"MCP server 'raw' did not answer within 1 s of starting"):
        run_calls([hanging], [call("noop")])


def test_a_command_that_does_not_exist_fails_the_run_saying_so() -> None:
    from agentnb.core.errors import RunError

    missing = MCPServer().stdio("/no/such/mcp-server", name="missing")
    with pytest.raises(
        RunError, match=r"MCP server 'missing' could not be started or reached: FileNotFoundError"
    ):
        run_calls([missing], [call("noop")])


# ----- lifetime ------------------------------------------------------------------------------------


def test_agents_of_one_run_share_the_server_and_it_stops_when_the_run_ends() -> None:
    server = raw()
    first = Agent("first", tools=[server], model=ScriptedModel({"first": [call("pid"), "one"]}))
    second = Agent(
        "second", tools=[server.tools("pid")], model=ScriptedModel({"second": [call("pid"), "two"]})
    )
    result = Team([first, second], max_turns=2).run_sync("work")
    pids = {r.content for r in results(result)}
    assert len(pids) == 1
    assert gone(int(pids.pop()))


def test_a_failed_run_leaves_no_server_behind() -> None:
    from agentnb.core.errors import RunError

    def reply(request: Any) -> Any:
        if not any(m.get("role") == "tool" for m in request.messages):
            return call("pid")
        raise RuntimeError("the model broke")

    server = raw()
    agent = Agent("worker", tools=[server], model=FunctionModel(reply))
    with pytest.raises(RunError) as caught:
        Team([agent], max_turns=1).run_sync("work")
    pid = next(r.content for r in caught.value.result.messages if isinstance(r, ToolResult))
    assert gone(int(pid))


def test_close_and_async_with_stop_the_server_and_a_later_use_starts_it_again() -> None:
    server = raw()

    async def use() -> tuple[str, str]:
        async with server:
            (pid,) = [t for t in await server.list_tools() if t.name == "pid"]
            first = (await pid.run("{}")).content
        second = (await pid.run("{}")).content  # outside a run: up until closed
        await server.aclose()
        return first, second

    first, second = asyncio.run(use())
    assert first != second and gone(int(first)) and gone(int(second))


def test_cancelling_a_run_cancels_the_call_on_the_server(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    server = MCPServer().stdio(sys.executable, [str(SERVERS / "slow_server.py"), str(notes)], name="slow")
    agent = Agent(
        "worker", tools=[server], model=ScriptedModel({"worker": [call("wait", seconds=60), "done"]})
    )
    team = Team([agent], max_turns=1)

    async def run_then_cancel() -> None:
        task = asyncio.ensure_future(team.run("work"))
        for _ in range(300):
            await asyncio.sleep(0.05)
            if notes.exists():
                break
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(run_then_cancel())
    assert notes.read_text() == "cancelled"


INTERRUPTED_RUN = """
import sys
from agentnb import Agent, Team
from agentnb.models import ScriptedModel
from agentnb.models.scripted import call
from agentnb.protocols.mcp import MCPServer
server = MCPServer.stdio(sys.executable, [sys.argv[1], sys.argv[2]], name="slow")
agent = Agent("worker", tools=[server], model=ScriptedModel({"worker": [call("wait", seconds=60), "done"]}))


async def notebook_cell():  # a kernel runs cells in a running event loop: run_sync waits in a thread
    result = Team([agent], max_turns=1).run_sync("work")
    print("STOPPED:", result.stop_reason, flush=True)

import asyncio
asyncio.new_event_loop().run_until_complete(notebook_cell())  # as in ipykernel, Ctrl+C raises in the cell
"""


def test_a_kernel_interrupt_stops_the_run_and_its_server(tmp_path: Path) -> None:
    import signal

    import psutil

    notes = tmp_path / "notes"
    script = tmp_path / "run.py"
    script.write_text(INTERRUPTED_RUN)
    process = subprocess.Popen(
        [sys.executable, str(script), str(SERVERS / "slow_server.py"), str(notes)],
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):
            if notes.exists():
                break
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        servers = [c.pid for c in psutil.Process(process.pid).children(recursive=True)]
        assert servers
        process.send_signal(signal.SIGINT)  # what a notebook's interrupt button sends the kernel
        out, err = process.communicate(timeout=60)
    finally:
        stop(process)
    assert "STOPPED: interrupted" in out, err
    assert notes.read_text() == "cancelled"
    assert all(gone(pid) for pid in servers)
