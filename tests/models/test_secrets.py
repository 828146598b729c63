"""Secrets of every wrapped model stay out of cassettes and the cache, whatever their shape."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentnb.core.secrets import model_secrets
from agentnb.models import ModelReply, ModelRequest, ScriptedModel, complete
from agentnb.models.cache import cached
from agentnb.models.openai_compat import OpenAIModel
from agentnb.models.spec import record

# Shapes no scrubbing pattern knows: only the models themselves can say these are secrets.
ODD_KEY = "tok_" + "live0dd5hapedKey42"
ENV_ODD_KEY = "Zq9" + "plainLookingCredential77"
HEADER_VALUE = "team" + "-header-value-5e6f"


def echo_server(seen: list[httpx.Request]) -> httpx.MockTransport:
    """A chat-completions server that repeats the user's message and the key it was sent."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        said = json.loads(request.content)["messages"][-1]["content"]
        key = request.headers["authorization"].removeprefix("Bearer ")
        return httpx.Response(
            200,
            json={
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": "echo",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": f"You said: {said} (key {key})"},
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
            },
        )

    return httpx.MockTransport(handle)


def live_model(seen: list[httpx.Request], **options: Any) -> OpenAIModel:
    return OpenAIModel(
        "echo",
        base_url="http://127.0.0.1:9/v1",
        stream=False,
        http_client_factory=lambda: httpx.AsyncClient(transport=echo_server(seen)),
        **options,
    )


def ask(text: str) -> ModelRequest:
    return ModelRequest(agent="writer", messages=[{"role": "user", "content": text}])


def wrap(order: str, model: OpenAIModel, tmp_path: Path) -> Any:
    if order == "record(cached(model))":
        return record(cached(model, tmp_path / "cache"), tmp_path / "run.json")
    return cached(record(model, tmp_path / "run.json"), tmp_path / "cache")


def written_files(tmp_path: Path) -> list[Path]:
    files = [tmp_path / "run.json", *sorted((tmp_path / "cache").glob("*.json"))]
    assert len(files) == 2 and all(f.exists() for f in files)  # a cassette and one cache entry
    return files


@pytest.mark.parametrize("order", ["record(cached(model))", "cached(record(model))"])
def test_a_key_of_any_shape_stays_out_of_cassette_and_cache_through_wrappers(
    tmp_path: Path, order: str
) -> None:
    seen: list[httpx.Request] = []
    model = wrap(order, live_model(seen, api_key=ODD_KEY, headers={"X-Team-Token": HEADER_VALUE}), tmp_path)
    reply = asyncio.run(complete(model, ask(f"my key is {ODD_KEY}, my header {HEADER_VALUE}")))
    assert seen[0].headers["authorization"] == f"Bearer {ODD_KEY}"  # the key was really sent
    assert seen[0].headers["x-team-token"] == HEADER_VALUE
    assert reply.text.count(ODD_KEY) == 2  # and came back in the reply, so files would hold it
    for path in written_files(tmp_path):
        text = path.read_text()
        assert ODD_KEY not in text and HEADER_VALUE not in text, path
        assert "[REDACTED]" in text


@pytest.mark.parametrize("order", ["record(cached(model))", "cached(record(model))"])
def test_a_key_read_from_an_oddly_named_variable_stays_out_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    monkeypatch.setenv("AGENTNB_TEST_LLM_CREDENTIAL", ENV_ODD_KEY)  # no _KEY/_TOKEN suffix to spot
    seen: list[httpx.Request] = []
    model = wrap(order, live_model(seen, api_key_env="AGENTNB_TEST_LLM_CREDENTIAL"), tmp_path)
    reply = asyncio.run(complete(model, ask("hello")))
    assert seen[0].headers["authorization"] == f"Bearer {ENV_ODD_KEY}"
    assert ENV_ODD_KEY in reply.text
    for path in written_files(tmp_path):
        assert ENV_ODD_KEY not in path.read_text(), path


def test_a_model_declares_its_secrets_and_wrappers_report_their_inner_models() -> None:
    live = OpenAIModel(
        "m",
        base_url="http://user:pa55word-in-url@127.0.0.1:9/v1",
        api_key=ODD_KEY,
        headers={"Authorization-Extra": HEADER_VALUE, "X-Trace": "not-a-secret-123"},
    )
    assert set(live.secrets()) == {ODD_KEY, HEADER_VALUE, "pa55word-in-url"}
    scripted = ScriptedModel(["hi"], fallback=live)
    assert set(model_secrets(scripted)) == set(live.secrets())
    assert model_secrets(ScriptedModel(["hi"])) == []


def test_a_users_own_model_and_wrapper_are_read_without_a_secrets_method(tmp_path: Path) -> None:
    class KeyedModel:
        name = "keyed"
        api_key = ODD_KEY

        async def stream(self, request: ModelRequest) -> Any:
            yield ModelReply(text="ok")

    class Wrapper:
        name = "wrapper"

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def stream(self, request: ModelRequest) -> Any:
            return self.inner.stream(request)

    assert model_secrets(Wrapper(KeyedModel())) == [ODD_KEY]
    wrapped = record(cached(Wrapper(KeyedModel()), tmp_path / "cache"), tmp_path / "run.json")
    assert model_secrets(wrapped) == [ODD_KEY]
