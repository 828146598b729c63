"""The sandbox kernel's environment is an allowlist: keys under any name stay out."""

from __future__ import annotations

import os
import sys

from agentnb.execution import sandbox_environment
from agentnb.execution.environment import MATPLOTLIB_INLINE

PARENT = {
    "PATH": "/usr/bin",
    "HOME": "/home/student",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TERM": "xterm-256color",
    "VIRTUAL_ENV": "/home/student/.venv",
    "OPENAI_API_KEY": "sk-planted-openai-0123456789",
    "ANTHROPIC_API_KEY": "sk-ant-planted-0123456789",
    "HF_TOKEN": "hf_plantedplantedplantedplanted",
    "AWS_SECRET_ACCESS_KEY": "planted-aws-secret",
    "DATABASE_URL": "postgres://app:planted-db-password@db.internal:5432/app",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/plantedplanted",
    "SENTRY_DSN": "https://planted0123456789@o1.ingest.sentry.io/1",
    "AGENTNB_MODEL": "openai:gpt-4o-mini",
    "SSH_AUTH_SOCK": "/tmp/ssh-agent.sock",
    "JPY_SESSION_NAME": "/home/student/lesson.ipynb",
    "LC_SECRET_TOKEN": "sk-live-planted-in-an-allowed-family-0123456789",
}


def test_only_allowlisted_variables_pass_and_home_is_the_work_folder() -> None:
    env, _ = sandbox_environment(PARENT, home="/sandbox/work")
    assert set(env) == {"PATH", "HOME", "LANG", "LC_ALL", "TERM", "VIRTUAL_ENV", "MPLBACKEND"}
    assert env["HOME"] == "/sandbox/work"
    assert env["MPLBACKEND"] == MATPLOTLIB_INLINE
    assert not any("planted" in value for value in env.values())


def test_this_pythons_folder_comes_first_on_the_path() -> None:
    env, _ = sandbox_environment(PARENT)
    assert env["PATH"].split(os.pathsep) == [os.path.dirname(sys.executable), "/usr/bin"]


def test_secret_looking_values_are_returned_for_redaction() -> None:
    _, removed = sandbox_environment(PARENT)
    assert "sk-planted-openai-0123456789" in removed
    assert "sk-live-planted-in-an-allowed-family-0123456789" in removed
    assert "1" not in removed  # too short to redact without mangling text


def test_extra_variables_are_added_as_given() -> None:
    extra = {"DATA_DIR": "/data", "MPLBACKEND": "agg", "MY_KEY": "on-purpose"}
    env, _ = sandbox_environment(PARENT, extra=extra)
    assert env["DATA_DIR"] == "/data"
    assert env["MPLBACKEND"] == "agg"
    assert env["MY_KEY"] == "on-purpose"
