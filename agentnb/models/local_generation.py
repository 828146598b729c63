"""One call to the embedded model: its ChatML prompt, and a generation that stops when it loops.

`render` writes the prompt SmolLM2 was trained on (tool traffic as plain turns).
`Generation` runs in the model's worker thread: it streams text back, counts tokens as
llama.cpp's stopping criterion, stops at once when cancelled, and cuts a reply that starts
repeating itself (`loop_start`); JSON and fixed choices are enforced by grammars.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from agentnb.core.events import Usage
from agentnb.core.model import ChatMessage, ModelError

END = "<|im_end|>"
JSON_MIN_TOKENS = 256  # JSON (structured replies, tool arguments) is never cut shorter than this
LOOP_MIN = 48  # characters of exact repetition that count as a loop ...
LOOP_MAX_PERIOD = 200  # ... of a repeated piece up to this long


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


class Cancelled(Exception):
    """The caller went away; the worker unwinds without replying."""


class Generation:
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
            raise Cancelled
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
