"""Bad code becomes an error result the model reads, and the team goes on."""

from __future__ import annotations

import asyncio

from agentnb import Agent, Team
from agentnb.execution import code_executor
from agentnb.models import ScriptedModel
from agentnb.models.scripted import call
from tests.execution.conftest import need_kernel, results, run_code
from tests.processes import gone


def test_syntax_errors_exceptions_loops_floods_and_crashes_are_error_results() -> None:
    need_kernel()
    codes = [
        "kept = 'yes'",
        "def broken(:",
        "1 / 0",
        "input('Your name? ')",
        "while True:\n    pass",
        "kept",
        "print('x' * 1_000_000)",
        "import os\nos._exit(3)",
        "print('still here')",
    ]
    with code_executor(timeout=2, max_output=1000) as executor:
        result = run_code(executor, codes)
    start, syntax, division, asks, loop, after_loop, flood, crash, last = results(result)
    assert not start.is_error
    assert syntax.is_error and "SyntaxError" in syntax.content
    assert division.is_error and "ZeroDivisionError: division by zero" in division.content
    assert asks.is_error and "StdinNotImplementedError" in asks.content  # input() cannot hang a run
    assert loop.is_error and "time limit of 2 s" in loop.content
    assert after_loop.content == "'yes'"  # an interrupted kernel keeps its variables
    assert not flood.is_error and "output truncated" in flood.content and len(flood.content) < 1200
    assert crash.is_error and "kernel died" in crash.content and "exit code 3" in crash.content
    assert not last.is_error and last.content == "still here"
    assert result.final == "Reviewed."


STUBBORN = """
import time
while True:
    try:
        time.sleep(0.1)
    except BaseException:
        pass
"""


def test_code_that_ignores_interrupts_gets_a_fresh_kernel() -> None:
    need_kernel()
    with code_executor(timeout=1) as executor:
        executor.sandbox.interrupt_grace = 1
        _, loop, after = results(run_code(executor, ["kept = 1", STUBBORN, "kept"]))
    assert loop.is_error and "restarted" in loop.content
    assert after.is_error and "NameError" in after.content


def test_an_exception_with_a_huge_message_stays_within_max_output() -> None:
    need_kernel()
    with code_executor(max_output=4000) as executor:
        [raised] = results(run_code(executor, ["print('before')\nraise ValueError('x' * 5_000_000)"]))
    assert raised.is_error and raised.content.startswith("Error: the code raised ValueError: xxx")
    assert "more characters not shown" in raised.content
    assert len(raised.content) < 4000 + 300


def test_a_kernel_that_cannot_start_is_an_error_result_with_its_reason() -> None:
    need_kernel()
    with code_executor(env={"PYTHONHOME": "/nonexistent"}) as executor:
        result = run_code(executor, ["print(1)"])
    [failed] = results(result)
    assert failed.is_error and "could not start" in failed.content and "nothing ran" in failed.content
    assert result.final == "Reviewed."


def test_stopping_the_run_stops_the_code() -> None:
    need_kernel()

    async def scenario() -> tuple[int, str]:
        executor = code_executor(timeout=120)
        coder = Agent(
            "coder",
            model=ScriptedModel({"coder": [call("run_python", code="import time\ntime.sleep(120)")]}),
            tools=[executor],
        )
        team = Team([coder], approver=lambda agent, c: True)
        run = asyncio.create_task(team.run("Sleep."))
        while executor.sandbox.pid is None:
            await asyncio.sleep(0.05)
        pid = executor.sandbox.pid
        team.stop("enough")
        result = await run
        executor.close()
        return pid, result.stop_reason

    pid, reason = asyncio.run(scenario())
    assert reason == "enough"
    assert gone(pid)
