"""The response cache: an identical request is served from disk; anything else calls the model."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agentnb.models import FunctionModel, ModelReply, ModelRequest, complete
from agentnb.models.cache import CachedModel, cached, default_directory


def ask(text: str, agent: str = "writer") -> ModelRequest:
    return ModelRequest(agent=agent, messages=[{"role": "user", "content": text}])


class Counting(FunctionModel):
    """Counts calls that reach the model."""

    def __init__(self) -> None:
        super().__init__(lambda r: f"answer to {r.messages[-1]['content']}", name="counting")


def collect(model: CachedModel, request: ModelRequest) -> list[str | ModelReply]:
    async def go() -> list[str | ModelReply]:
        return [chunk async for chunk in model.stream(request)]

    return asyncio.run(go())


def test_an_identical_request_makes_no_second_call(tmp_path: Path) -> None:
    inner = Counting()
    model = cached(inner, tmp_path)
    first = collect(model, ask("the park vote"))
    second = collect(model, ask("the park vote"))
    assert inner.calls == 1
    assert (model.misses, model.hits) == (1, 1)
    assert second[:-1] == first[:-1] and len(first) > 2  # the same streamed deltas
    reply = second[-1]
    assert isinstance(reply, ModelReply) and reply.text == "answer to the park vote"
    assert reply.usage == first[-1].usage and reply.model == "counting"  # type: ignore[union-attr]


def test_a_different_request_calls_the_model(tmp_path: Path) -> None:
    inner = Counting()
    model = cached(inner, tmp_path)
    asyncio.run(complete(model, ask("the park vote")))
    reply = asyncio.run(complete(model, ask("the library budget")))
    assert inner.calls == 2 and reply.text == "answer to the library budget"
    asyncio.run(complete(model, ask("the park vote", agent="editor")))
    assert inner.calls == 3  # another agent is another request


def test_the_cache_survives_a_new_session_and_is_per_model(tmp_path: Path) -> None:
    asyncio.run(complete(cached(Counting(), tmp_path), ask("x")))
    again = Counting()
    assert asyncio.run(complete(cached(again, tmp_path), ask("x"))).text == "answer to x"
    assert again.calls == 0
    other = FunctionModel(lambda r: "other", name="other")
    assert asyncio.run(complete(cached(other, tmp_path), ask("x"))).text == "other"


def test_entries_are_readable_json_files_and_clear_forgets_them(tmp_path: Path) -> None:
    model = cached(Counting(), tmp_path / "cache")
    request = ask("x")
    asyncio.run(complete(model, request))
    path = model.path_for(request)
    assert path.parent == tmp_path / "cache" and path.suffix == ".json"
    entry = json.loads(path.read_text())
    assert entry["request"]["messages"] == [{"role": "user", "content": "x"}]
    assert entry["response"]["text"] == "answer to x"
    model.clear()
    assert not path.exists()
    asyncio.run(complete(model, request))
    assert model.inner.calls == 2  # type: ignore[attr-defined]


def test_a_corrupt_entry_is_a_miss_not_an_error(tmp_path: Path) -> None:
    model = cached(Counting(), tmp_path)
    request = ask("x")
    model.path_for(request).write_text("{not json")
    assert asyncio.run(complete(model, request)).text == "answer to x"
    assert json.loads(model.path_for(request).read_text())["response"]["text"] == "answer to x"


def test_an_entry_of_the_wrong_shape_is_a_miss_not_an_error(tmp_path: Path) -> None:
    model = cached(Counting(), tmp_path)
    request = ask("x")
    model.path_for(request).write_text(json.dumps({"response": {"text": ["not", "text"]}}))
    assert asyncio.run(complete(model, request)).text == "answer to x"
    assert (model.hits, model.misses) == (0, 1)


def test_failed_calls_are_not_cached(tmp_path: Path) -> None:
    def flaky(request: ModelRequest) -> str:
        raise RuntimeError("server down")

    model = cached(FunctionModel(flaky), tmp_path)
    with pytest.raises(RuntimeError):
        asyncio.run(complete(model, ask("x")))
    assert list(tmp_path.iterdir()) == []


def test_where_the_cache_lives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AGENTNB_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_directory() == tmp_path / "xdg" / "agentnb" / "responses"
    monkeypatch.setenv("AGENTNB_CACHE_DIR", str(tmp_path / "mine"))
    assert default_directory() == tmp_path / "mine"
    assert cached(Counting()).directory == tmp_path / "mine"
