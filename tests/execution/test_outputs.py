"""Outputs of one execution: bounded text for the model, safe rich outputs for people."""

from __future__ import annotations

from typing import Any

import pytest

from agentnb.execution.outputs import Outputs, strip_ansi
from agentnb.execution.sandbox import Execution


def msg(kind: str, **content: Any) -> dict[str, Any]:
    return {"msg_type": kind, "content": content}


def test_text_beyond_the_limit_is_cut_with_a_note() -> None:
    outputs = Outputs(max_output=100)
    for _ in range(50):
        outputs.add(msg("stream", name="stdout", text="x" * 40))
    text = outputs.output()
    assert text.startswith("x" * 100)
    assert "output truncated: 1,900 more characters" in text
    assert len(text) < 300


@pytest.mark.parametrize(
    "escape",
    [
        "\x1b[2J\x1b[H",  # clear the screen, cursor home (CSI)
        "\x1b]0;pwned\x07",  # window title (OSC ended by BEL)
        "\x1b]52;c;c2VjcmV0\x1b\\",  # clipboard write (OSC ended by ST)
        "\x1b]8;;http://evil.example\x1b\\",  # hidden link (OSC 8)
        "\x1bPq#0;2;0;0;0\x1b\\",  # device control string
        "\x1b_hidden\x1b\\",  # application program command
        "\x1b^private\x1b\\",  # privacy message
        "\x1bXstring\x1b\\",  # start of string
        "\x9b2J",  # 8-bit CSI
        "\x9d0;title\x9c",  # 8-bit OSC and ST
        "\x1bc",  # full reset
        "\x1b(B",  # character set
        "\x1b]0;never ends",  # unterminated OSC
    ],
)
def test_every_form_of_terminal_escape_is_stripped_from_what_the_model_reads(escape: str) -> None:
    """The model's tool result (and the chat) never carry a sequence a terminal would act on."""
    assert strip_ansi(f"before {escape}") == "before "
    outputs = Outputs(max_output=1000)
    outputs.add(msg("stream", name="stdout", text=f"a{escape}\n"))
    assert "\x1b" not in outputs.output() and not any("\x80" <= c <= "\x9f" for c in outputs.output())


def test_html_and_scripts_are_dropped_images_kept_for_people() -> None:
    outputs = Outputs(max_output=1000)
    outputs.add(msg("display_data", data={"text/html": "<script>x()</script>", "text/plain": "table"}))
    outputs.add(msg("display_data", data={"application/javascript": "x()"}))
    outputs.add(msg("execute_result", data={"image/png": "iVBORw0K", "text/plain": "<Figure>"}))
    assert outputs.display == [{"image/png": "iVBORw0K", "text/plain": "<Figure>"}]
    assert "<script>" not in outputs.output()
    assert "table" in outputs.output()
    assert "[image/png output shown to the user] <Figure>" in outputs.output()


def test_colour_codes_are_stripped_and_the_traceback_is_short() -> None:
    outputs = Outputs(max_output=1000)
    outputs.add(msg("stream", name="stderr", text="\x1b[31mwarning\x1b[0m\n"))
    outputs.add(
        msg(
            "error",
            ename="ZeroDivisionError",
            evalue="division by zero",
            traceback=[
                "\x1b[0;31m----------------------------------------\x1b[0m",
                "\x1b[0;31mZeroDivisionError\x1b[0m      Traceback (most recent call last)",
                "Cell \x1b[0;32mIn[1], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m 1/0",
                "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
            ],
        )
    )
    assert outputs.output() == "warning\n"
    assert outputs.error == "ZeroDivisionError: division by zero\nCell In[1], line 1\n----> 1 1/0"


def test_a_failed_execution_reads_failure_first_then_output() -> None:
    execution = Execution("timeout", output="step 1\n", note="the code ran longer than the time limit")
    assert execution.report() == (
        "Error: the code ran longer than the time limit\n\nOutput before that:\nstep 1"
    )
    assert Execution("ok").report() == "(the code ran and printed nothing)"


def test_a_huge_exception_message_is_cut_with_the_rest_of_the_output() -> None:
    outputs = Outputs(max_output=4000)
    outputs.add(msg("stream", name="stdout", text="y" * 10_000))
    message = "x" * 5_000_000
    traceback = ["Cell In[1], line 1", f"ValueError: {message}"]
    outputs.add(msg("error", ename="ValueError", evalue=message, traceback=traceback))
    report = Execution("error", output=outputs.output(), error=outputs.error).report()
    assert len(outputs.error) + len(outputs.output()) < 4000 + 200
    assert len(report) < 4000 + 300
    assert report.startswith("Error: the code raised ValueError: xxx")
    assert "message cut: 4,998,012 more characters not shown" in report
    assert "output truncated" in report


def test_an_exception_without_a_message_is_not_repeated_under_its_traceback() -> None:
    outputs = Outputs(max_output=1000)
    outputs.add(msg("error", ename="MemoryError", evalue="", traceback=["----> 1 x = f()", "MemoryError: "]))
    assert outputs.error == "MemoryError\n----> 1 x = f()"
