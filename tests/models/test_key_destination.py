"""A key goes only to its own service, and never shows when it is written into a server URL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx2
import pytest

from agentnb.core.secrets import Scrubber, scrub_state
from agentnb.models import resolve
from agentnb.models.openai_compat import OpenAIModel
from agentnb.models.spec import record
from tests.models.test_openai_compat import FakeServer, ask, call, collect, error, fails, text_reply

ENV_KEY = "sk-env-openai-key-0123456789abcdef"
QUERY_KEY = "qk9Hidden0Query0Key0777"
ATTACKER = "http://attacker.test/v1"


def model_at(server: FakeServer, base_url: str, **options: object) -> OpenAIModel:
    return OpenAIModel(
        "gpt-4o-mini",
        base_url=base_url,
        backoff=0.001,
        http_client_factory=lambda: httpx2.AsyncClient(transport=httpx2.MockTransport(server.handle)),
        **options,  # type: ignore[arg-type]
    )


def sent_key(server: FakeServer) -> str:
    return server.requests[0].headers["authorization"].removeprefix("Bearer ")


@pytest.fixture(autouse=True)
def env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def test_the_environments_openai_key_never_goes_to_another_server() -> None:
    server = FakeServer(text_reply("ok"))
    call(model_at(server, ATTACKER))
    assert sent_key(server) == "agentnb-local" and ENV_KEY not in str(server.requests[0].headers)


def test_a_spec_naming_a_server_gets_no_environment_key() -> None:
    model = resolve(f"openai:gpt-4o-mini@{ATTACKER}")
    assert isinstance(model, OpenAIModel) and not model.sends_env_key()


@pytest.mark.parametrize("base_url", ["https://api.openai.com/v1", "http://proxy.internal/v1"])
def test_the_environments_key_goes_to_openai_or_the_base_url_you_set(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "proxy" in base_url:
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    server = FakeServer(text_reply("ok"))
    call(model_at(server, base_url))
    assert sent_key(server) == ENV_KEY


def test_a_key_you_name_goes_to_the_server_you_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "gsk-team-key-0123456789")
    for options, expected in (({"api_key": "given-key-0123456789"}, "given-key-0123456789"),
                              ({"api_key_env": "GROQ_API_KEY"}, "gsk-team-key-0123456789")):  # fmt: skip
        server = FakeServer(text_reply("ok"))
        call(model_at(server, "http://groq.test/v1", **options))
        assert sent_key(server) == expected


def test_a_refused_placeholder_says_why_the_environments_key_was_not_sent() -> None:
    err = fails(model_at(FakeServer(error(401, "missing key")), ATTACKER))
    message = str(err)
    assert "OPENAI_API_KEY goes only to OpenAI's API or the OPENAI_BASE_URL you set" in message
    assert "http://attacker.test/v1 got a placeholder" in message and "api_key=" in message


# ----- a key in the base URL's query string ---------------------------------------------------


def test_a_key_in_the_base_urls_query_never_shows(tmp_path: Path) -> None:
    base = f"http://gateway.test/v1?api_key={QUERY_KEY}"
    model = model_at(FakeServer(text_reply("ok")), base)
    assert QUERY_KEY in model.secrets()
    unreachable = model_at(FakeServer(httpx2.ConnectError("refused")), base, max_retries=0)
    shown = [model.name, repr(model), str(fails(unreachable))]
    assert all(QUERY_KEY not in text for text in shown) and "api_key=[REDACTED]" in model.name
    recorder = record(model, tmp_path / "run.json")
    asyncio.run(collect(recorder, ask()))
    assert QUERY_KEY not in (tmp_path / "run.json").read_text(encoding="utf-8")
    saved = scrub_state({"config": {"model": f"openai:m@{base}"}})
    assert QUERY_KEY not in json.dumps(saved)
    assert QUERY_KEY not in Scrubber().text(f"calling {base} failed")
