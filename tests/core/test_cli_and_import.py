"""The `agentnb demo` command and the promise that `import agentnb` stays light."""

from __future__ import annotations

import os
import subprocess
import sys


def run(*args, env_model="scripted:newsroom"):
    env = {**os.environ, "AGENTNB_MODEL": env_model, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "agentnb.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_demo_prints_the_newsroom_chat():
    proc = run("demo")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for speaker in ("writer:", "fact_checker:", "editor:", "publisher:"):
        assert speaker in out
    assert "fact_checker calls search_archive(" in out
    assert "14 acres" in out
    assert "── stopped: publisher said 'PUBLISHED'" in out
    assert "\033[" not in out  # no colour codes when not a terminal


def test_demo_colours_on_request():
    proc = run("demo", "--color", "--max-turns", "1")
    assert "\033[1;" in proc.stdout and "max turns reached (1)" in proc.stdout


def test_demo_rejects_a_bad_model_spec_with_a_usage_error():
    proc = run("demo", "--model", "gpt-nonsense")
    assert proc.returncode == 2
    assert "'gpt-nonsense'" in proc.stderr and "openai:gpt-4o-mini" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_import_agentnb_loads_neither_openai_nor_jupyter():
    code = (
        "import sys, agentnb; from agentnb import Agent, Team, tool, models; "
        "heavy = [m for m in ('openai', 'IPython', 'ipywidgets', 'llama_cpp', 'httpx') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
