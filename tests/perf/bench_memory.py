"""Memory benchmarks: run ``python tests/perf/bench_memory.py`` (takes a minute or two).

Prints one table per section; each section is a function returning rows of
(measure, median, target). The long-term store section (issue 9) loads 100,000 facts into a
file store and times recall (target: <= 5 ms median at k=5 for queries of 1-3 words), with
and without an embedding function; the namespace section (issue 17) spreads 100,000 facts over
10 namespaces, half of them expired, and times recall in one and compacting its expired facts.
Query timings are the median over queries of each query's best of three runs, so a busy
shared machine shows the cost of the work rather than its load.
A benchmark, never a timed assertion in the test suite.

The facts are synthetic sentences whose content words follow Zipf's law (exponent 1) over a
50,000-word vocabulary, starting at frequency rank 150 as content words do in English text
(the words above it are the common words recall ignores); queries draw their words the same way.
"""

from __future__ import annotations

import itertools
import os
import random
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

from agentnb.memory import MemoryStore
from agentnb.memory.search import VectorIndex

Row = tuple[str, str, str]
FACTS = 100_000
QUERIES = 200
DIMS = 64
COMMON = ["the", "is", "of", "and", "a", "to", "in", "on", "for", "with", "was", "at", "by"]


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """``size`` distinct pronounceable words (so Porter stemming sees word-like text)."""
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    words: dict[str, None] = {}
    while len(words) < size:
        words["".join(rng.choices(syllables, k=rng.randint(2, 4)))] = None
    return list(words)


class Corpus:
    """Zipf-distributed content words, offset by the common words recall leaves out."""

    def __init__(self, seed: int = 1, size: int = 50_000, offset: int = 150) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(size, self.rng)
        self.cumulative = list(itertools.accumulate(1 / (rank + offset) for rank in range(size)))

    def content(self, n: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=n)

    def fact(self) -> str:
        words = self.content(self.rng.randint(6, 12))
        for _ in range(self.rng.randint(2, 4)):
            words.insert(self.rng.randrange(len(words) + 1), self.rng.choice(COMMON))
        return " ".join(words).capitalize()

    def query(self) -> str:
        return " ".join(self.content(self.rng.randint(1, 3)))


def fake_embed(text: str) -> list[float]:
    """A cheap deterministic stand-in for an embedding model: hashed words, 64 dimensions."""
    vector = [0.0] * DIMS
    for word in text.casefold().split():
        h = zlib.crc32(word.encode())
        vector[h % DIMS] += 1.0 if h & 0x10000 else -1.0
    return vector


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def best_of(fn: Callable[[], object], repeats: int = 3) -> float:
    """The fastest of a few runs: the cost of the work, without other processes' share of a busy CPU."""
    return min(timed(fn) for _ in range(repeats))


def ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"{statistics.median(seconds) * 1e3:.2f} ms (p90 {p90 * 1e3:.1f})"


def store_section() -> list[Row]:
    """Long-term store: bulk load, single writes, recall with BM25 and with embeddings."""
    corpus = Corpus()
    facts = [corpus.fact() for _ in range(FACTS)]
    queries = [corpus.query() for _ in range(QUERIES)]
    message = " ".join(corpus.fact() for _ in range(4))  # a ~40-word chat message
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "memory.db"
        with MemoryStore(path, embed=fake_embed) as store:
            load = timed(lambda: store.remember_many(facts, by="bench", why="load"))
            rows.append(
                (f"remember_many: {FACTS:,} facts with vectors, one transaction", f"{load:.1f} s", "")
            )
            writes = [
                timed(lambda i=i: store.remember(f"extra fact number {i}", by="bench")) for i in range(200)
            ]
            rows.append(("remember one fact (file store, own transaction)", ms(writes), ""))
        rows.append((f"file size at {FACTS:,} facts", f"{path.stat().st_size / 1e6:.0f} MB", ""))

        with MemoryStore(path) as store:
            for query in queries[:20]:
                store.recall(query)
            lexical = [best_of(lambda q=q: store.recall(q, k=5)) for q in queries]
            rows.append((f"recall, BM25, {FACTS:,} facts, 1-3 words, k=5", ms(lexical), "<= 5 ms median"))
            notes = [best_of(lambda: store.context_note(message)) for _ in range(20)]
            rows.append(("context_note for a ~40-word message, k=5", ms(notes), ""))
            hits = statistics.median(len(store.recall(q, k=5)) for q in queries)
            rows.append(("facts recalled per query (median)", f"{hits:g}", ""))

        with MemoryStore(path, embed=fake_embed) as store:
            cold = timed(lambda: store.recall(queries[0]))
            rows.append((f"first recall with embed (loads {FACTS:,} vectors)", f"{cold * 1e3:.0f} ms", ""))
            blended = [best_of(lambda q=q: store.recall(q, k=5)) for q in queries]
            rows.append(("recall, BM25 + cosine (numpy) fused, k=5", ms(blended), "<= 5 ms median"))

    vectors = [fake_embed(f) for f in facts]
    for use_numpy, label, n in ((True, "numpy", QUERIES), (False, "plain Python", 10)):
        index = VectorIndex(use_numpy=use_numpy)
        for i, vector in enumerate(vectors):
            index.add(i, vector)
        searches = [best_of(lambda q=q, index=index: index.search(fake_embed(q), 20)) for q in queries[:n]]
        rows.append((f"cosine search alone, {FACTS:,} x {DIMS} ({label})", ms(searches), ""))
    return rows


def namespace_section() -> list[Row]:
    """Namespaces and expiry: recall in one namespace of a shared file, and compacting expired facts."""
    corpus = Corpus(seed=2)
    spaces = [f"student{n}" for n in range(10)]
    per_space = FACTS // len(spaces)
    queries = [corpus.query() for _ in range(QUERIES)]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, MemoryStore(Path(tmp) / "class.db") as store:
        for space in spaces:
            view = store.scope(space)
            view.remember_many([corpus.fact() for _ in range(per_space // 2)], by="bench")
            view.remember_many([corpus.fact() for _ in range(per_space // 2)], by="bench", ttl=1)
        time.sleep(1.1)  # half of every namespace's facts expire
        view = store.scope(spaces[3])
        for query in queries[:20]:
            view.recall(query)
        scoped = [best_of(lambda q=q: view.recall(q, k=5)) for q in queries]
        rows.append(
            (f"recall in 1 of 10 namespaces ({per_space:,} facts each, half expired), k=5", ms(scoped), "")
        )
        compact = timed(view.forget_expired)
        rows.append(
            (f"forget_expired: {per_space // 2:,} expired facts of one namespace", f"{compact:.2f} s", "")
        )
        after = [best_of(lambda q=q: view.recall(q, k=5)) for q in queries]
        rows.append(("same recall after forget_expired", ms(after), ""))
    return rows


class InstantModel:
    """Replies at once with a fixed usage, like bench_core's instant model."""

    name = "instant"

    async def stream(self, request):  # type: ignore[no-untyped-def]
        from agentnb.core.events import Usage
        from agentnb.core.model import ModelReply

        yield ModelReply(text="ok", usage=Usage(prompt_tokens=10, completion_tokens=2), model=self.name)


def trio_team(messages: int):  # type: ignore[no-untyped-def]
    from agentnb import Agent, Team

    agents = [Agent(n, f"You are {n}.") for n in ("a", "b", "c")]
    return Team(agents, model=InstantModel(), max_turns=messages, stream_tokens=False)


def per_message(messages: int) -> float:
    team = trio_team(messages)
    started = time.perf_counter()
    team.run_sync("go")
    return (time.perf_counter() - started) / messages


def deep_size(value: object, seen: set[int] | None = None) -> int:
    """Bytes held by ``value`` and everything it references (ints and strings included once)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in value.items())
    elif isinstance(value, list | tuple | set | frozenset):
        size += sum(deep_size(v, seen) for v in value)
    elif hasattr(value, "__slots__"):
        size += sum(deep_size(getattr(value, s), seen) for s in value.__slots__ if hasattr(value, s))
    elif hasattr(value, "__dict__"):
        size += deep_size(vars(value), seen)
    return size


def checkpoint_section() -> list[Row]:
    import agentnb.core.state as state_module

    rows: list[Row] = []
    n = 10_000
    on, off = [], []
    every = state_module.SNAPSHOT_EVERY
    for _ in range(5):  # alternate, so load changes hit both sides
        on.append(per_message(n))
        state_module.SNAPSHOT_EVERY = 10**12
        try:
            off.append(per_message(n))
        finally:
            state_module.SNAPSHOT_EVERY = every
    on_us, off_us = statistics.median(on) * 1e6, statistics.median(off) * 1e6
    rows.append((f"per message, checkpoints on, N={n:,}", f"{on_us:.1f} us", ""))
    rows.append((f"per message, snapshots off, N={n:,}", f"{off_us:.1f} us", ""))
    rows.append(("checkpoints on vs off", f"{(on_us / off_us - 1) * 100:+.1f} %", "<= 10 %"))

    team = trio_team(n)
    team.run_sync("go")
    held = deep_size(team.history.snapshots, {id(team.condition), id(team.mode_object)})
    per_checkpoint = f"{held / len(team.checkpoints):.1f} B"
    rows.append(("memory per checkpoint (snapshots / checkpoints)", per_checkpoint, "<= 200 B"))

    rng = random.Random(1)
    for size in (1_000, 100_000):
        big = trio_team(size // 2)  # two events per message: a SpeakerSelected and the reply
        big.run_sync("go")
        length = len(big.transcript)
        picks = [rng.randrange(length) for _ in range(50)]
        forks = [best_of(lambda k=k, big=big: big.fork(k)) for k in picks]
        rewinds = []
        for k in picks:
            copy = big.fork()
            rewinds.append(timed(lambda k=k, copy=copy: copy.rewind(k)))
        rows.append((f"fork at a random checkpoint, transcript of {length:,} events", ms(forks), "O(1)"))
        rows.append((f"rewind to a random checkpoint, transcript of {length:,} events", ms(rewinds), "O(1)"))
    return rows


def context_section() -> list[Row]:
    from agentnb.core.context import AgentContext
    from agentnb.core.events import TextMessage
    from agentnb.core.policies import Full, HeadAndTail, LastN, TokenLimit

    rows: list[Row] = []
    policies = [Full(), LastN(20), TokenLimit(2_000), HeadAndTail(5, 20)]
    for policy in policies:
        costs = {}
        for n in (100, 10_000):
            events = [TextMessage(source="user", content="the task")] + [
                TextMessage(source="bob" if i % 2 else "me", content=f"message {i} " * 8) for i in range(n)
            ]
            ctx = AgentContext("me", "You are me.")
            ctx.update(events)
            costs[n] = statistics.median(
                best_of(lambda ctx=ctx, policy=policy: policy.select(ctx).messages(ctx), 5) for _ in range(30)
            )
        ratio = costs[10_000] / costs[100]
        name = type(policy).__name__
        rows.append((f"{name}: build the context to send, N=100", f"{costs[100] * 1e6:.1f} us", ""))
        at_10k = f"{costs[10_000] * 1e6:.1f} us"
        rows.append((f"{name}: same at N=10,000 (ratio {ratio:.2f}x)", at_10k, "same"))
    return rows


SECTIONS: list[tuple[str, Callable[[], list[Row]]]] = [
    ("Long-term store (issue 9)", store_section),
    ("Namespaces and expiry (issue 17)", namespace_section),
    ("Checkpoints (issue 9)", checkpoint_section),
    ("Context policies (issue 9)", context_section),
]


def print_table(title: str, rows: list[Row]) -> None:
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"\n{title}")
    print(f"{'measure'.ljust(width)}  {'median'.rjust(value_width)}  target")
    print("-" * (width + value_width + 18))
    for label, value, target in rows:
        print(f"{label.ljust(width)}  {value.rjust(value_width)}  {target}".rstrip())


def main() -> None:
    only = sys.argv[1:]  # optional: section titles (or parts of them) to run
    for title, section in SECTIONS:
        if not only or any(part.lower() in title.lower() for part in only):
            before = os.getloadavg()[0]
            rows = section()
            load = f"load average {before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
            print_table(f"{title} ({load})", rows)


if __name__ == "__main__":
    main()
