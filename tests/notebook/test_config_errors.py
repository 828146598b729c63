"""agentnb's own configuration errors show in a notebook as one short line: the argument and the fix.

A student who writes ``TextMention("x", sources=3)`` or ``Team([])`` in a real kernel sees
``ConfigError: <argument>: <what to do>``, not a traceback into agentnb's modules — with or
without ``%load_ext agentnb``, however deep in their own code the call is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.notebook.kernel import Kernel


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    k = Kernel()  # agentnb is not loaded as an extension: the errors render by themselves
    _, reply = k.execute("from agentnb import Agent, Team, TextMention")
    assert reply["content"]["status"] == "ok", reply["content"]
    yield k
    k.shutdown()


def error_of(kernel: Kernel, code: str) -> dict[str, Any]:
    messages, reply = kernel.execute(code)
    assert reply["content"]["status"] == "error"
    (error,) = [m["content"] for m in messages if m["msg_type"] == "error"]
    return error


@pytest.mark.parametrize(
    ("code", "line"),
    [
        (
            'TextMention("x", sources=3)',
            "ConfigError: TextMention sources: expected a participant name or a list of names, got 3",
        ),
        (
            "Team([])",
            "ConfigError: participants: a team needs at least one participant (Agent, Human or Team)",
        ),
        (
            "def newsroom():\n    return Team([Agent('writer')], approver='soon')\n\nnewsroom()",
            "ConfigError: approver: expected a function (agent, call) -> True/False, or 'later'",
        ),
    ],
    ids=["TextMention-sources", "Team-empty", "deep-in-own-code"],
)
def test_a_configuration_error_shows_as_one_line_naming_the_argument_and_the_fix(
    kernel: Kernel, code: str, line: str
) -> None:
    error = error_of(kernel, code)
    assert error["ename"] == "ConfigError"
    (shown,) = error["traceback"]  # what the notebook prints: this line and nothing else
    assert shown.startswith(line) and "\n" not in shown and len(shown) < 200
    assert "File " not in shown and ".py" not in shown


def test_other_errors_keep_their_traceback(kernel: Kernel) -> None:
    """The one-line form is agentnb's, not the kernel's: a plain Python error still shows where."""
    error = error_of(kernel, "def f():\n    return 1 / 0\n\nf()")
    assert error["ename"] == "ZeroDivisionError" and len(error["traceback"]) > 1
