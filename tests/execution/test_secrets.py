"""Planted keys are absent from the sandbox's environment and never reach the transcript."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentnb.execution import code_executor
from tests.execution.conftest import need_kernel, results, run_code

PLANTED = "sk-planted-agentnb-test-0123456789abcdef"
PLANTED_OPENAI = "sk-planted-openai-test-0123456789abcdef"


def test_planted_keys_are_absent_in_the_sandbox_and_redacted_if_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_kernel()
    monkeypatch.setenv("AGENTNB_TEST_SECRET_KEY", PLANTED)
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED_OPENAI)
    (tmp_path / "found.txt").write_text(f"key={PLANTED}", encoding="utf-8")  # a key found another way
    codes = [
        "import os\nsorted(k for k in os.environ if 'KEY' in k or 'AGENTNB' in k)",
        "[v for v in os.environ.values() if v.startswith('sk-')]",
        "print(open('found.txt').read())",
    ]
    with code_executor(workdir=tmp_path) as executor:
        result = run_code(executor, codes)
    names, values, found = results(result)
    assert names.content == "[]"
    assert values.content == "[]"
    assert found.content == "key=[REDACTED]"
    transcript = "".join(event.model_dump_json() for event in result.messages)
    assert PLANTED not in transcript and PLANTED_OPENAI not in transcript
    assert (tmp_path / "found.txt").exists()  # a working directory you give stays yours after close
