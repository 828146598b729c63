"""The newsroom's desk: the replies its agents give (schemas) and each request narrowed to what
the conversation allows, just before the model call (``Agent(prepare=...)``).

The search query is a phrase of the draft, the fact-checker may cite only what the search
returned, the editor's verdict follows the fact-check, the publisher prints the approved
story as it is, and a story sent back is written again from the archive entries the
fact-checker found (`revise_request`), not from its report or the old draft.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal

from pydantic import BaseModel

from agentnb.apps.newsroom_reading import (
    assignment,
    backs,
    latest,
    phrases,
    search_results,
    sentences,
    words,
)
from agentnb.core.model import ModelRequest

HEADLINE = r"^[A-Z][A-Za-z0-9 ,'$.-]{9,60}$"  # words, not markup


class FactCheck(BaseModel):
    """For each sentence of the draft, the archive entry that backs it; and what the search found."""

    backing: dict[str, int | None]  # sentence number -> entry number, or None
    searched_for: list[str]
    found: list[str]

    def __str__(self) -> str:
        lines = [
            f"✓ sentence {i}: backed by [{n}]" if n else f"✗ sentence {i}: not in the archive"
            for i, n in self.backing.items()
        ]
        queries = " and ".join(repr(q) for q in self.searched_for)
        lines.append(f"Searched the archive for {queries} and found {len(self.found)} entries:")
        lines += [f"[{i}] {entry}" for i, entry in enumerate(self.found, 1)]
        return "\n".join(lines)


class Verdict(BaseModel):
    """The editor's decision: publish the backed sentences, or send the story back."""

    verdict: Literal["APPROVED", "REVISE"]
    keep: list[int]
    cut: list[int]

    def __str__(self) -> str:
        if self.verdict == "REVISE":
            return "REVISE: too little of it is backed. Write it again from what the fact-checker found."
        cut = f", cut {_numbers(self.cut)}" if self.cut else ""
        return f"APPROVED: print {_numbers(self.keep)}{cut}."


def _numbers(sentence_numbers: list[int]) -> str:
    listed = ", ".join(str(n) for n in sentence_numbers)
    return f"sentence{'s' if len(sentence_numbers) > 1 else ''} {listed}"


class Publication(BaseModel):
    """The headline and the story as printed."""

    headline: str
    story: str

    def __str__(self) -> str:
        return f"PUBLISHED: {self.headline}\n\n{self.story}"


# ----- each request narrowed to what the conversation allows -------------------------------------


def revise_request(request: ModelRequest) -> ModelRequest:
    """A draft sent back is written again from the archive entries the fact-checker found, and
    nothing else: not its report (a tiny model would copy its format), not the old draft. Cooler,
    shorter, and with no repeat penalty, so that the archive's words are used rather than avoided."""
    if not latest(request.messages, "editor").startswith("REVISE"):
        return request
    found = re.findall(r"^\[\d+\] (.*)$", latest(request.messages, "fact_checker"), re.M)
    facts = f"Facts from the archive: {' '.join(found)}" if found else "The archive has nothing on it."
    ask = "Use only these facts and add nothing else." if found else "Say only what the assignment says."
    rewrite = (
        f"{facts}\n\nAssignment: {assignment(request.messages)}\n\n"
        f"Write the story in three short sentences. {ask}"
    )
    settings = {**request.settings, "temperature": 0.3, "repeat_penalty": 1.0, "max_tokens": 70}
    messages = [request.messages[0], {"role": "user", "content": rewrite}]
    return replace(request, messages=messages, settings=settings)


def check_request(request: ModelRequest) -> ModelRequest:
    """Two searches for phrases of the draft; then a report that cites only what they found."""
    draft = latest(request.messages, "writer")
    queries, found = search_results(request.messages)
    if request.tools:
        unused = [p for p in phrases(draft) if p not in queries] or phrases(draft)
        query = {"type": "string", "enum": unused}
        search = request.tools[0]["function"]
        parameters = {"type": "object", "properties": {"query": query}, "required": ["query"]}
        tools = [{"type": "function", "function": {**search, "parameters": parameters}}]
        return replace(request, tools=tools, tool_choice=search["name"])
    task = assignment(request.messages)
    backing = {}
    for i, sentence in enumerate(sentences(draft), 1):
        entries = [n for n, entry in enumerate(found, 1) if backs(entry, sentence, task)]
        backing[str(i)] = {"enum": entries} if entries else {"const": None}
    schema = {
        "type": "object",
        "properties": {
            "backing": {"type": "object", "properties": backing, "required": list(backing)},
            "searched_for": {"const": queries},
            "found": {"const": found},
        },
        "required": ["backing", "searched_for", "found"],
    }
    return replace(request, output_schema=schema)


def _sentence_numbers(report: str, mark: str) -> list[int]:
    """The numbers of the sentences a fact-check marked ✓ or ✗."""
    return [int(line.split()[2].rstrip(":")) for line in report.splitlines() if line.startswith(mark)]


def verdict_request(request: ModelRequest) -> ModelRequest:
    """APPROVED when the archive backs half the sentences or more, REVISE when it backs none;
    the editor's choice in between."""
    report = latest(request.messages, "fact_checker")
    keep, cut = _sentence_numbers(report, "✓"), _sentence_numbers(report, "✗")
    if not keep:
        verdicts = ["REVISE"]
    elif len(keep) >= len(cut):
        verdicts = ["APPROVED"]
    else:
        verdicts = ["APPROVED", "REVISE"]
    schema = {
        "type": "object",
        "properties": {"verdict": {"enum": verdicts}, "keep": {"const": keep}, "cut": {"const": cut}},
        "required": ["verdict", "keep", "cut"],
    }
    return replace(request, output_schema=schema)


def headline_pattern(story: str) -> str:
    """A headline of 3 to 10 plain words that opens with a name from the story other than its
    first words: left to start anywhere, a tiny model repeats the story's opening."""
    opening = story.split()[:3]
    names = [w for w in dict.fromkeys(words(story)) if w[:1].isupper() and w not in opening][:6]
    if not names:
        return HEADLINE
    word = r"[A-Za-z0-9$][a-z0-9$.'-]{0,11}"  # one capital at most: no words run together
    return rf"^({'|'.join(re.escape(n) for n in names)})(,? {word}){{2,9}}$"


def publish_request(request: ModelRequest) -> ModelRequest:
    """The publisher writes the headline; the story is the approved draft's backed sentences."""
    keep = _sentence_numbers(latest(request.messages, "fact_checker"), "✓")
    kept = [s for i, s in enumerate(sentences(latest(request.messages, "writer")), 1) if i in keep]
    ask = {"role": "user", "content": f"{' '.join(kept)}\n\nWrite a short headline for this story."}
    schema = {
        "type": "object",
        "properties": {
            "headline": {"type": "string", "pattern": headline_pattern(" ".join(kept))},
            "story": {"const": " ".join(kept)},
        },
        "required": ["headline", "story"],
    }
    return replace(request, messages=[request.messages[0], ask], output_schema=schema)
