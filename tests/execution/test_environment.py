"""The sandbox kernel's environment has no secrets: by name, by family, by shape of value."""

from __future__ import annotations

from agentnb.execution import sandbox_environment
from agentnb.execution.environment import MATPLOTLIB_INLINE

PARENT = {
    "PATH": "/usr/bin",
    "HOME": "/home/student",
    "LANG": "C.UTF-8",
    "OPENAI_API_KEY": "sk-planted-openai-0123456789",
    "ANTHROPIC_API_KEY": "sk-ant-planted-0123456789",
    "HF_TOKEN": "hf_plantedplantedplantedplanted",
    "GITHUB_TOKEN": "ghp_plantedplantedplantedplanted",
    "AWS_SECRET_ACCESS_KEY": "planted-aws-secret",
    "AWS_REGION": "eu-west-1",
    "AGENTNB_MODEL": "openai:gpt-4o-mini",
    "AGENTNB_TEST_SECRET_KEY": "sk-planted-agentnb-0123456789",
    "DB_PASSWORD": "hunter2hunter2",
    "MY_SERVICE_CREDENTIALS": "/secrets/creds.json",
    "SSH_AUTH_SOCK": "/tmp/ssh-agent.sock",
    "INNOCENT_LOOKING": "sk-live-planted-by-value-0123456789",
    "JPY_SESSION_NAME": "/home/student/lesson.ipynb",
}


def test_secrets_are_removed_by_name_family_and_value() -> None:
    env, removed = sandbox_environment(PARENT)
    kept = {"PATH", "HOME", "LANG", "MPLBACKEND"}
    assert set(env) == kept
    assert "sk-planted-openai-0123456789" in removed
    assert "sk-live-planted-by-value-0123456789" in removed
    assert not any(value in env.values() for value in removed)


def test_extra_variables_are_added_after_the_removal_and_plots_are_inline() -> None:
    env, _ = sandbox_environment(PARENT, extra={"DATA_DIR": "/data", "MPLBACKEND": "agg"})
    assert env["DATA_DIR"] == "/data"
    assert env["MPLBACKEND"] == "agg"
    assert sandbox_environment(PARENT)[0]["MPLBACKEND"] == MATPLOTLIB_INLINE


def test_short_removed_values_are_not_returned_for_redaction() -> None:
    _, removed = sandbox_environment({"FEATURE_TOKEN": "1", "API_KEY": "long-enough-secret"})
    assert removed == ["long-enough-secret"]
