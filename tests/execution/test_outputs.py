"""Outputs of one execution: bounded text for the model, safe rich outputs for people."""

from __future__ import annotations

from typing import Any

from agentnb.execution.outputs import Outputs
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
