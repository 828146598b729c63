"""The offline half of compare_autogen.py: agentnb's side reports its work, and unequal work stops it.

AutoGen's side needs PyPI and is never run by the test suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare_autogen import Case, CompareError, check_same_work, measure


@pytest.mark.parametrize("workload", ["round_robin", "tool_loop_async"])
def test_agentnb_side_reports_the_work_it_did(workload: str) -> None:
    case = Case(workload, 10)
    per_unit, record = measure(Path(sys.executable), "agentnb", case)
    assert record["counts"] == case.expected()
    assert record["side"] == "agentnb" and record["size"] == 10
    assert per_unit > 0 and "agentnb" in record["versions"]


def test_sides_that_did_different_work_stop_the_comparison() -> None:
    case = Case("round_robin", 10)
    records = {
        "agentnb": {"counts": {"messages": 10, "model_calls": 10}},
        "autogen": {"counts": {"messages": 9, "model_calls": 9}},
    }
    with pytest.raises(CompareError, match="autogen did different work"):
        check_same_work(case, records)


def test_a_bad_size_is_a_usage_error_not_a_traceback() -> None:
    script = Path(__file__).resolve().parent / "agentnb_side.py"
    done = subprocess.run([sys.executable, str(script), "round_robin", "0"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "size: expected a positive integer" in done.stderr and "Traceback" not in done.stderr
