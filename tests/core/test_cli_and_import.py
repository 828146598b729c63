"""The `agentnb demo` command and the promise that `import agentnb` stays light."""

from __future__ import annotations

import os
import subprocess
import sys

import agentnb


def run(*args, env_model="scripted:newsroom"):
    env = {**os.environ, "AGENTNB_MODEL": env_model, "NO_COLOR": "1"}
    env.pop("OPENAI_API_KEY", None)
    env.pop("OPENAI_BASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "agentnb.apps.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_demo_prints_the_newsroom_chat():
    proc = run("demo")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for speaker in ("writer:", "fact_checker:", "editor:", "publisher:"):
        assert speaker in out
    assert "fact_checker calls search_archive(" in out
    assert "14 acres" in out
    assert out.count("stopped: publisher said 'PUBLISHED'") == 1
    assert "\033[" not in out  # no colour codes when not a terminal


def test_demo_colours_on_request():
    proc = run("demo", "--color", "--max-turns", "1")
    assert "\033[1;" in proc.stdout and "max turns reached (1)" in proc.stdout


def test_demo_rejects_a_bad_model_spec_with_a_usage_error():
    proc = run("demo", "--model", "gpt-nonsense")
    assert proc.returncode == 2
    assert "'gpt-nonsense'" in proc.stderr and "openai:gpt-4o-mini" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_version_prints_the_package_version():
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout == f"agentnb {agentnb.__version__}\n"


def test_a_mistyped_option_is_named_with_the_closest_one_in_its_commands_usage():
    proc = run("demo", "--modle", "x")
    assert proc.returncode == 2 and proc.stderr.startswith("usage: agentnb demo ")
    assert "agentnb demo: error: unrecognized option --modle: did you mean --model?" in proc.stderr
    proc = run("--modle", "x")  # before the command: the option is one of demo's
    assert "agentnb: error: unrecognized option --modle: did you mean agentnb demo --model?" in proc.stderr
    proc = run("--verison")
    assert proc.returncode == 2 and "did you mean --version?" in proc.stderr
    assert run("demo", "--max", "1", "--task", "-3 words").returncode == 0  # prefixes and dash values work


def test_demo_says_the_model_came_from_its_model_option():
    proc = run("demo", "--model", "auto:3", "--max-turns", "1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("agentnb demo · newsroom · model auto:3 (from --model) · seed ")
    assert "set explicitly" not in proc.stdout + proc.stderr


def test_demo_seed_reaches_the_team_and_each_run_gets_its_own_seed(monkeypatch, capsys):
    from agentnb.apps import cli

    seeds: list[int] = []

    def newsroom(model, *, max_turns, seed):
        seeds.append(seed)
        return real_newsroom(model, max_turns=max_turns, seed=seed)

    real_newsroom = cli.newsroom
    monkeypatch.setattr(cli, "newsroom", newsroom)
    assert cli.main(["demo", "--model", "auto", "--seed", "7", "--max-turns", "1"]) == 0
    assert seeds == [7] and "· seed 7\n" in capsys.readouterr().out
    for _ in range(3):
        cli.main(["demo", "--model", "auto", "--max-turns", "1"])
    drawn = seeds[1:]
    assert len(set(drawn)) > 1  # without --seed, each run draws one
    assert f"· seed {drawn[-1]}\n" in capsys.readouterr().out  # and says which, to repeat it


def test_demo_help_says_what_it_does_and_which_model_it_uses():
    proc = run("demo", "--help")
    text = " ".join(proc.stdout.split())
    assert proc.returncode == 0
    assert "a writer drafts" in text and "fact-checker searches the newspaper's archive" in text
    assert "Without --model the demo uses scripted:newsroom — the AGENTNB_MODEL environment variable" in text
    assert "--seed" in text


def test_a_mistyped_command_gets_the_closest_one():
    proc = run("dmeo")
    assert proc.returncode == 2
    assert "agentnb: error: unknown command 'dmeo': did you mean demo?" in proc.stderr
    assert "the commands are demo, lab" in run("frobnicate").stderr


def test_demo_prints_whose_turn_it_is():
    out = run("demo", "--max-turns", "3").stdout
    assert "· turn 1 of 3: writer (0 s so far)" in out and "· turn 3 of 3: editor (" in out
    assert out.rstrip().endswith("3 turns · 0 tokens") or "3 turns ·" in out


def test_a_failed_run_says_why_once_on_stderr():
    proc = run("demo", "--model", "openai:gpt-4o-mini")
    assert proc.returncode == 1
    assert (proc.stdout + proc.stderr).count("no API key") == 1
    assert proc.stderr.startswith(
        "agentnb: team 'newsroom' stopped with an error: openai:gpt-4o-mini: no API key"
    )
    assert "stopped" not in proc.stdout and "Traceback" not in proc.stderr


def test_import_agentnb_loads_neither_openai_nor_jupyter():
    code = (
        "import sys, agentnb; from agentnb import Agent, Team, tool, models; "
        "heavy = [m for m in ('openai', 'IPython', 'ipywidgets', 'llama_cpp', 'httpx') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
