"""What a fact-checker may cite: only what a tool returned before it spoke (the test oracle).

A fact-checker (a participant whose name has "checker" in it) is held to what the run's tool
results had shown when it spoke, its *evidence*:

- a number it brings in (one the task and the other participants have not said) must be in the
  evidence: "the planning report says 14 acres" needs a result that says 14;
- a claim it confirms on a line ("...: confirmed", "Backed by: ...") must be in the evidence:
  its numbers all, and half of its words (the task's words count as known);
- when it clears a draft as a whole ("Cleared", "every claim", "all claims"), each sentence of
  the draft it cleared must be backed the same way.

A remote agent's working messages (scoped under its name, written by no model of this run) are
left out: the tool results they rest on stayed on its server.

Words are compared by their first four letters, so "voted" meets "vote" and "closes" meets
"closed". The rules are deliberately plain: they read text, as a student reading the chat does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agentnb.core.events import USER, Event, TextMessage, ToolCalls, ToolResult

WORD = re.compile(r"[a-z]+|\d+(?:[.,/-]\d+)*")  # a date (2026-03-02) or a vote (7-2) is one number
COMMON = frozenset(
    """a an the and or but of to in on at for with by from as is are was were be been will would can could
    may must has have had do does did that this these those it its into than then there their they them he
    she his her we our you your i my not no so if when which who what while also more most very just only
    some other new old one two said says say after before about up out all any per""".split()  # noqa: SIM905
)
VERDICT_WORDS = frozenset(
    """confirmed confirm cleared clear wrong correct checked check checks archive backed backs draft revised
    claim claims note verdict revise please match matches matching found entry entries""".split()  # noqa: SIM905
)
CONFIRMS = re.compile(r"\bconfirmed\b|\bbacked by:?\s*(?![—–-]|none\b|null\b)\w", re.I)  # not "Backed by: —"
DATE = re.compile(r"\d{4}-\d\d-\d\d")
CLEARS = re.compile(r"\bcleared\b|\ball claims\b|\bevery claim\b", re.I)
LABEL = re.compile(r"^\s*(?:[A-Z][A-Z ]+:|\*\*[^*]+:\*\*|[-*]\s)\s*")  # "DRAFT:", "**Note:**", "- "
KNOWN_SHARE = 1 / 2


def stems(text: str) -> set[str]:
    """Meaningful words (first four letters) and whole numbers of ``text``."""
    found = set()
    for token in WORD.findall(text.lower()):
        if token[0].isdigit():
            found.add(token)
        elif len(token) > 2 and token not in COMMON and token not in VERDICT_WORDS:
            found.add(token[:4])
    return found


def numbers(text: str) -> set[str]:
    """The numbers of ``text``; a date (2009-06-30) also gives its year (2009), but not its day."""
    found = {t for t in WORD.findall(text.lower()) if t[0].isdigit()}
    return found | {t[:4] for t in found if DATE.fullmatch(t)}


def sentences(draft: str) -> list[str]:
    """The claims of a draft: its sentences, without the labels and headline lines around them."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", draft)
    return [LABEL.sub("", p).strip() for p in parts if p.strip().endswith((".", "!", "?", '"'))]


def backed(claim: str, evidence: str, task: str) -> bool:
    """Every number of ``claim`` is in the evidence, and half of its words are evidence or task."""
    said = stems(claim)
    if not said:
        return True
    known = stems(evidence) | stems(task)
    return numbers(claim) <= numbers(evidence) and len(said & known) >= KNOWN_SHARE * len(said)


def is_checker(name: str) -> bool:
    return "checker" in name


def uncited(events: Sequence[Event]) -> list[str]:
    """What each fact-checker of a run said that no earlier tool result shows, one line each."""
    problems: list[str] = []
    evidence: list[str] = []
    task = ""
    others: list[str] = []  # what everybody but the fact-checkers said (drafts, notes)
    for event in events:
        if isinstance(event, ToolResult) and not event.is_error:
            evidence.append(event.content)
        if not isinstance(event, TextMessage | ToolCalls) or not event.content.strip():
            continue
        if event.scope and event.request_model is None:
            continue  # a remote agent's working message: the tool results it rests on stayed remote
        if event.source == USER:
            task += "\n" + event.content
        elif not is_checker(event.source):
            others.append(event.content)
        else:
            draft = others[-1] if others else ""
            problems += [
                f"{event.source} said {event.content!r}: {why}"
                for why in _unbacked(event.content, "\n".join(evidence), task, " ".join(others), draft)
            ]
    return problems


def _unbacked(said: str, evidence: str, task: str, others: str, draft: str) -> list[str]:
    found = []
    brought = numbers(said) - numbers(task) - numbers(others) - numbers(evidence)
    if brought:
        found.append(f"the numbers {sorted(brought)} come from no tool result before it")
    for line in said.splitlines():
        if CONFIRMS.search(line) and not backed(line, evidence, task):
            found.append(f"it confirms {line.strip()!r}, which no tool result before it shows")
    if CLEARS.search(said):
        found += [
            f"it cleared {sentence!r}, which no tool result before it backs"
            for sentence in sentences(draft)
            if not backed(sentence, evidence, task)
        ]
    return found
