"""Running model-written code: state within a run, approval, rich outputs, the caller untouched."""

from __future__ import annotations

import importlib.util
import json
import os

from agentnb.core.events import Approval, ToolCalls
from agentnb.execution import CodeExecutor
from tests.conftest import require
from tests.execution.conftest import results, run_code

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def test_variables_persist_across_calls_and_the_team_goes_on(run_python: CodeExecutor) -> None:
    result = run_code(run_python, ["total = 40\nprint('set')", "total + 2"])
    assert [r.content for r in results(result)] == ["set", "42"]
    assert result.final == "Reviewed."


def test_the_callers_own_process_is_untouched(run_python: CodeExecutor) -> None:
    code = "probe_variable = 1\nimport os\nos.environ['AGENTNB_SANDBOX_PROBE'] = 'set'\nos.getpid()"
    [result] = results(run_code(run_python, [code]))
    assert int(result.content) != os.getpid()
    assert "probe_variable" not in globals()
    assert "AGENTNB_SANDBOX_PROBE" not in os.environ


def test_a_rejected_call_does_not_run(run_python: CodeExecutor) -> None:
    def reject_markers(agent: str, call: object) -> tuple[bool, str]:
        rejected = "rejected_marker =" in call.arguments  # type: ignore[attr-defined]
        return (not rejected, "no markers, please" if rejected else "")

    codes = ["rejected_marker = 1", "'rejected_marker' in globals()"]
    rejected, check = results(run_code(run_python, codes, approver=reject_markers))
    assert rejected.is_error and "rejected" in rejected.content and "no markers, please" in rejected.content
    assert check.content == "False"


def test_edited_code_is_what_runs_and_the_transcript_keeps_both(run_python: CodeExecutor) -> None:
    def edit(agent: str, call: object) -> tuple[bool, str, dict[str, str]]:
        return True, "use the safe version", {"code": "print('edited version')"}

    result = run_code(run_python, ["print('original version')"], approver=edit)
    [calls] = [e for e in result.messages if isinstance(e, ToolCalls)]
    [approval] = [e for e in result.messages if isinstance(e, Approval)]
    [ran] = results(result)
    assert json.loads(calls.calls[0].arguments) == {"code": "print('original version')"}
    assert json.loads(approval.arguments or "") == {"code": "print('edited version')"}
    assert ran.content == "edited version"


def test_displayed_images_reach_the_result_and_the_model_reads_text(run_python: CodeExecutor) -> None:
    code = (
        "import base64\nfrom IPython.display import Image, display\n"
        f"display(Image(data=base64.b64decode('{PNG}')))\nprint('shown')"
    )
    [result] = results(run_code(run_python, [code]))
    assert not result.is_error
    assert result.display is not None and [d["image/png"] for d in result.display] == [PNG]
    assert PNG not in result.content
    assert "[image/png output shown to the user]" in result.content and "shown" in result.content


def test_a_matplotlib_plot_comes_back_as_an_image(run_python: CodeExecutor) -> None:
    require(importlib.util.find_spec("matplotlib") is not None, "matplotlib (plots from code execution)")
    code = "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.title('squares');"
    [result] = results(run_code(run_python, [code]))
    assert not result.is_error, result.content
    assert result.display is not None
    [figure] = result.display
    assert figure["image/png"].startswith("iVBORw0KGgo")  # base64 of the PNG signature
    assert "Figure" in figure["text/plain"]
