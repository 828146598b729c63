"""One rule says what a secret is; traces, cassettes, reports, saved files and the sandbox all use it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agentnb import Agent, Team
from agentnb.core.secrets import REDACTED, Scrubber, is_secret, scrub_state, sensitive_headers
from agentnb.execution import sandbox_environment
from agentnb.models import ModelRequest, ScriptedModel
from agentnb.models.spec import record

# Variables the old trace and cassette rule (names ending _KEY, _TOKEN, _SECRET) let through.
PLANTED = {
    "DATABASE_URL": "postgres://app:Pg0planted0Pass@db.internal:5432/app",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0PLANT/B0PLANT/planted0webhook0path",
    "DB_PASSWORD": "hunter2-planted-password",
    "SMTP_PASS": "planted-smtp-pass-77",
    "GOOGLE_APPLICATION_CREDENTIALS_JSON": "planted-credentials-blob-5521",
    "OPENAI_API_KEY": "sk-planted-openai-0123456789abcdef",
}
HARMLESS = {"GIT_AUTHOR_NAME": "Ada Lovelace", "EDITOR": "vim-editor", "PAGER": "less-pager"}
IN_TEXT = {
    "a key in a query string": ("GET https://api.test/x?api_key=Qk0planted0query&x=1", "Qk0planted0query"),
    "a token parameter": ("callback?code=1&token=tok0planted0query9", "tok0planted0query9"),
    "credentials in a URL": ("redis://default:Rd0planted0pass@cache:6379/0", "Rd0planted0pass"),
    "a bearer header": ("Authorization: Bearer abcDEF0123456789planted", "abcDEF0123456789planted"),
    "an sk- key": ("use sk-proj-planted0123456789abcd now", "sk-proj-planted0123456789abcd"),
}


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**PLANTED, **HARMLESS}.items():
        monkeypatch.setenv(name, value)


def test_the_sandbox_removes_exactly_what_the_scrubbers_treat_as_secret(planted: None) -> None:
    env, removed = sandbox_environment({**PLANTED, **HARMLESS, "PATH": "/usr/bin"})
    assert set(PLANTED.values()) <= set(removed) and not set(PLANTED) & set(env)
    assert not any(is_secret(n, v) for n, v in HARMLESS.items())  # "AUTH" inside AUTHOR is no credential
    assert set(env) <= {"PATH", "MPLBACKEND"}  # and the sandbox passes only its allowlist anyway
    scrubber = Scrubber()
    for value in PLANTED.values():
        assert scrubber.text(f"x {value} y") == f"x {REDACTED} y"
    assert scrubber.text("by Ada Lovelace") == "by Ada Lovelace"


def test_traces_hold_none_of_the_environments_secrets(planted: None) -> None:
    said = " and ".join(PLANTED.values())
    model = ScriptedModel({"a": [f"config: {said}"]})
    result = Team([Agent("a")], model=model, max_turns=1).run_sync(f"check {said}")
    trace = result.trace()
    saved = trace.to_jsonl(capture_content=True) + trace.view().html() + trace.view().text()
    assert not [name for name, value in PLANTED.items() if value in saved]


def test_cassettes_hold_none_of_the_environments_secrets(planted: None, tmp_path: Path) -> None:
    said = " and ".join(PLANTED.values())
    recorder = record(ScriptedModel({"a": [f"config: {said}"]}), tmp_path / "run.json")
    request = ModelRequest(agent="a", messages=[{"role": "user", "content": said}])

    async def go() -> None:
        async for _ in recorder.stream(request):
            pass

    asyncio.run(go())
    text = (tmp_path / "run.json").read_text(encoding="utf-8")
    assert not [name for name, value in PLANTED.items() if value in text]


@pytest.mark.parametrize(("text", "secret"), IN_TEXT.values(), ids=IN_TEXT.keys())
def test_secrets_inside_text_are_found_by_their_shape(text: str, secret: str) -> None:
    scrubbed = Scrubber().text(text)
    assert secret not in scrubbed and REDACTED in scrubbed


def test_a_saved_state_holds_no_key(planted: None) -> None:
    key = "sk-live-planted0123456789abcdef"
    model = ScriptedModel({"a": [f"keep {key} and {PLANTED['DATABASE_URL']}"]})
    team = Team([Agent("a")], model=model, max_turns=1)
    team.run_sync(f"remember {key}")
    state = team.state().to_dict()
    assert key in json.dumps(state)
    saved = json.dumps(scrub_state(state))
    assert key not in saved and PLANTED["DATABASE_URL"] not in saved
    assert json.loads(saved)["transcript"][0]["content"] == f"remember {REDACTED}"


def test_team_save_writes_no_key(planted: None, tmp_path: Path) -> None:
    key = "sk-live-planted0123456789abcdef"
    team = Team([Agent("a")], model=ScriptedModel({"a": [f"keep {key}"]}), max_turns=1)
    team.run_sync(f"remember {key}")
    text = team.save(tmp_path / "team.json").read_text()
    assert key not in text and REDACTED in text


def test_names_and_values_decide_together() -> None:
    assert is_secret("STRIPE_RESTRICTED_KEY", "x") and is_secret("GH_PAT", "x")
    assert is_secret("SESSION_COOKIE", "x") and is_secret("TEAMS_WEBHOOK", "x")
    assert is_secret("BACKUP_TARGET", "s3://AKIAPLANTED0000KEYS:abc@bucket")
    assert not is_secret("KEYBOARD_LAYOUT", "us") and not is_secret("GIT_AUTHOR_EMAIL", "ada@example.com")


def test_a_credential_header_gives_its_whole_value_and_the_token_after_its_scheme() -> None:
    headers = {"Authorization": "Bearer opaque-7a1c", "X-Api-Key": "plain-key-99", "Accept": "text/plain"}
    assert sensitive_headers(headers) == ["Bearer opaque-7a1c", "opaque-7a1c", "plain-key-99"]
    assert Scrubber(sensitive_headers(headers)).text("the token opaque-7a1c") == f"the token {REDACTED}"
