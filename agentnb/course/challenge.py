"""The final challenge: build any newsroom team, run the shared eval, and see where you stand.

Everyone is measured the same way: `ASSIGNMENTS` is a shared pydantic-evals dataset of six
newsroom assignments, with four evaluators (the story was published, its numbers are in the
archive, it gives every fact of its topic, in at most 12 turns). ``await run_challenge(build)``
evaluates your team — ``build(model)`` returns it — on the offline stand-in (`challenge_desk`,
as unreliable as a live model, with seeds), on the embedded model (``model="local"``) or on a
live one (any model spec), ``repeat`` times per assignment. The `Entry` it returns shows
your score (the share of runs that passed every evaluator) with its 95% interval;
``leaderboard(entry)`` ranks it among the reference teams run the same way, and says which
differences are beyond noise. ``check("11.1", entry)`` checks the eval was honest: the shared
dataset, all its evaluators, enough repeats of every assignment.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import Evaluator, EvaluatorContext

from agentnb.core.agent import Agent
from agentnb.core.errors import SavedFileError
from agentnb.core.result import TeamResult
from agentnb.core.saved import check_envelope, envelope, load_json, write_json
from agentnb.core.team import Team
from agentnb.course.challenge_desk import ARCHIVE, STORIES, desk, search_archive
from agentnb.evals import EvalReport, TurnsAtMost, evaluate
from agentnb.evals.stats import Rate, percent
from agentnb.views.tables import Block, Cell, Notes, Rendered, Table, Title, cells

STAND_IN = "stand-in"
MIN_REPEAT = 5
MAX_TURNS = 12
NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:-\d+)?")
ARCHIVE_NUMBERS = frozenset(NUMBER.findall(" ".join(e[11:] for e in ARCHIVE)))  # without the dates


@dataclass
class Published(Evaluator):
    """The team's last word publishes the story (an editor's "PUBLISHED: ...")."""

    def evaluate(self, ctx: EvaluatorContext) -> bool:
        return str(ctx.output or "").lstrip().startswith("PUBLISHED")


@dataclass
class NumbersFromTheArchive(Evaluator):
    """Every number in the published story is in the archive: none was made up."""

    def evaluate(self, ctx: EvaluatorContext) -> bool:
        return all(n in ARCHIVE_NUMBERS for n in NUMBER.findall(str(ctx.output or "")))


@dataclass
class GivesTheFacts(Evaluator):
    """The story gives every fact of its topic (the values in the case's metadata)."""

    def evaluate(self, ctx: EvaluatorContext) -> bool:
        found = set(NUMBER.findall(str(ctx.output or "")))
        return all(value in found for value in (ctx.metadata or {}).get("facts", ()))


EVALUATORS = (Published(), NumbersFromTheArchive(), GivesTheFacts(), TurnsAtMost(MAX_TURNS))
ASSIGNMENTS = Dataset(
    name="newsroom-challenge",
    cases=[
        Case(
            name=story.key,
            inputs=f"Write a short news story on the {story.topic}.",
            metadata={"facts": [fact.value for fact in story.facts]},
        )
        for story in STORIES
    ],
    evaluators=list(EVALUATORS),
)


def fingerprint(cases: Sequence[tuple[str, Any, Any]]) -> str:
    """A short hash of (name, inputs, metadata) of every case: equal datasets, equal prints."""
    data = sorted(json.dumps([n, i, m], sort_keys=True, default=str) for n, i, m in cases)
    return hashlib.sha256("\n".join(data).encode()).hexdigest()[:16]


SHARED = fingerprint([(c.name or "", c.inputs, c.metadata) for c in ASSIGNMENTS.cases])


def _story(result: TeamResult) -> str:
    return result.final or ""


@dataclass
class Entry(Rendered):
    """One team's challenge result: its report, and how it was run (model, repeats)."""

    name: str
    model: str
    repeat: int
    report: EvalReport = field(repr=False)
    build: Callable[[Any], Team] | None = field(default=None, repr=False, compare=False)

    @property
    def rate(self) -> Rate:
        """Runs that passed every evaluator, of all runs, with a 95% interval."""
        return self.report.pass_rate

    def score(self) -> Score:
        """What a leaderboard shows of it."""
        return Score(self.name, self.model, self.repeat, self.rate.passed, self.rate.runs)

    def cases(self) -> list[tuple[str, Any, Any]]:
        """(name, inputs, metadata) of the assignments the report really ran."""
        found = {}
        for run in [*self.report.report.cases, *self.report.report.failures]:
            name = run.source_case_name or run.name
            found[name] = (name, run.inputs, run.metadata)
        return list(found.values())

    def blocks(self) -> list[Block]:
        rate = self.rate
        return [
            Title(
                f"{self.name}: {rate.passed} of {rate.runs} runs passed ({percent(rate.value)})",
                f"95% interval {rate.interval_text()}",
            ),
            Notes(
                "How it was measured",
                [
                    f"{len(self.report.cases)} assignments × {self.repeat} runs on {self.model}",
                    "a run passes when the story is published, gives every fact of its topic, has no "
                    f"number the archive lacks, in at most {MAX_TURNS} turns",
                ],
            ),
        ]


async def run_challenge(
    build: Callable[[Any], Team], *, name: str = "my team", model: Any = STAND_IN, repeat: int = MIN_REPEAT
) -> Entry:
    """Evaluate the team ``build(model)`` returns on every assignment, ``repeat`` times each.

    ``model``: ``"stand-in"`` (offline: a fresh `challenge_desk.desk` with the run's seed for
    each run), ``"local"`` (the embedded model) or any model spec or `Model`. Build a fresh team
    in ``build`` (nothing may leak from one run to the next) and give it ``model``.
    """
    if not callable(build):
        raise TypeError(f"build: expected a function that takes the model and returns a Team, got {build!r}")
    if model == STAND_IN:
        label = "the stand-in (agentnb.course.challenge_desk)"

        def subject(seed: int) -> Team:
            return _team(build, desk(seed))
    else:
        from agentnb.models import resolve

        resolved = resolve(model)
        label = resolved.name

        def subject(seed: int) -> Team:
            return _team(build, resolved)

    report = await evaluate(subject, ASSIGNMENTS, repeat=repeat, output=_story, name=name, progress=False)
    return Entry(name, label, repeat, report, build)


def _team(build: Callable[[Any], Team], model: Any) -> Team:
    team = build(model)
    if not isinstance(team, Team):
        raise TypeError(f"build returned {type(team).__name__}, not a Team: return the team you built")
    return team


# ----- the reference teams ----------------------------------------------------------------------

ROLES = {
    "researcher": "You find the facts and figures of the assignment in the archive.",
    "writer": "You write short news stories (at most 60 words) from the facts you were given.",
    "fact_checker": "You check every number of the latest draft against the archive: CLEARED or REVISE.",
    "editor": "You publish the story once it is cleared: reply PUBLISHED, a headline and the story.",
}


def lone_writer(model: Any) -> Team:
    """One writer who publishes what it writes: no archive, no check."""
    writer = Agent("writer", ROLES["writer"] + " Start your reply with PUBLISHED.")
    return Team([writer, Agent("editor", ROLES["editor"])], until="PUBLISHED", max_turns=4, model=model)


def researched(model: Any) -> Team:
    """A researcher with the archive, a writer and an editor: facts, but no check."""
    desks = [Agent("researcher", ROLES["researcher"], tools=[search_archive])]
    desks += [Agent(n, ROLES[n]) for n in ("writer", "editor")]
    return Team(desks, until="PUBLISHED", max_turns=6, model=model)


def checked(model: Any) -> Team:
    """The lessons' newsroom: research, write, check against the archive, publish, in turn."""
    desks = [
        Agent("researcher", ROLES["researcher"], tools=[search_archive]),
        Agent("writer", ROLES["writer"]),
        Agent("fact_checker", ROLES["fact_checker"], tools=[search_archive]),
        Agent("editor", ROLES["editor"]),
    ]
    return Team(desks, until="PUBLISHED", max_turns=MAX_TURNS, model=model)


REFERENCES: dict[str, Callable[[Any], Team]] = {
    "reference: lone writer": lone_writer,
    "reference: researched": researched,
    "reference: checked newsroom": checked,
}
_references: dict[tuple[str, int], list[Entry]] = {}


async def references(model: Any = STAND_IN, repeat: int = MIN_REPEAT) -> list[Entry]:
    """The reference teams, evaluated like yours (kept for this session, per model and repeat)."""
    key = (model if isinstance(model, str) else getattr(model, "name", repr(model)), repeat)
    if key not in _references:
        _references[key] = [
            await run_challenge(build, name=name, model=model, repeat=repeat)
            for name, build in REFERENCES.items()
        ]
    return _references[key]


@dataclass(frozen=True)
class Score:
    """A team's place on a leaderboard: its passes of its runs, and how it was measured."""

    name: str
    model: str
    repeat: int
    passed: int
    runs: int

    @property
    def rate(self) -> Rate:
        return Rate(self.passed, self.runs)


@dataclass
class Board(Rendered):
    """Teams ranked by score, each with its interval, and how they compare with ``yours``."""

    scores: list[Score]
    yours: Score

    def blocks(self) -> list[Block]:
        ranked = sorted(self.scores, key=lambda s: (-s.rate.value, s.name))
        rows = []
        for place, score in enumerate(ranked, 1):
            mine = score is self.yours
            rows.append(
                cells(
                    str(place),
                    Cell(score.name + (" (you)" if mine else ""), "good" if mine else ""),
                    f"{score.passed}/{score.runs}",
                    percent(score.rate.value),
                    score.rate.interval_text(),
                    "" if mine else self._versus(score),
                )
            )
        place = ranked.index(self.yours) + 1
        title = Title(
            f"Leaderboard: {self.yours.name} is number {place} of {len(ranked)}",
            f"{self.yours.repeat} runs per assignment on {self.yours.model}",
        )
        header = ["#", "team", "passed", "score", "95% interval", "compared with you"]
        table = Table(header, rows, numeric={0, 2, 3})
        notes = Notes(
            "Reading it",
            [
                "two teams differ beyond noise only when their intervals do not overlap",
                "more repeats narrow the intervals: run_challenge(..., repeat=10)",
            ],
        )
        return [title, table, notes]

    def _versus(self, other: Score) -> str:
        mine, theirs = self.yours.rate, other.rate
        if not mine.overlaps(theirs):
            return "you are better" if mine.value > theirs.value else "it is better"
        return "within noise"


async def leaderboard(entry: Entry, *, path: str | Path | None = None) -> Board:
    """``entry`` among the reference teams run the same way (and, with ``path``, your earlier
    entries on the same model and repeats, kept in that JSON file, to which this one is added)."""
    model = STAND_IN if entry.model.startswith("the stand-in") else entry.model
    yours = entry.score()
    scores = [e.score() for e in await references(model, entry.repeat)] + [yours]
    if path is not None:
        file = Path(path)
        kept = kept_scores(file)
        same = [
            k for k in kept if (k.model, k.repeat) == (yours.model, yours.repeat) and k.name != yours.name
        ]
        scores += same
        kept = [k for k in kept if (k.name, k.model, k.repeat) != (yours.name, yours.model, yours.repeat)]
        write_json(file, envelope("leaderboard", 1, entries=[vars(k) for k in [*kept, yours]]))
    return Board(scores, yours)


def kept_scores(file: Path) -> list[Score]:
    """The entries a leaderboard file keeps (none if there is no file yet); a file that is not a
    leaderboard, or one from a newer agentnb, is refused naming the file and left as it is."""
    if not file.exists():
        return []
    data = load_json(file, "leaderboard")
    if isinstance(data, list):  # written before the file had an envelope
        data = {"entries": data}
    how = "give leaderboard() another path"
    data = check_envelope(data, "leaderboard", {1}, str(file), how=how, unversioned=1)
    try:
        return [Score(**entry) for entry in data.get("entries", [])]
    except TypeError as exc:
        raise SavedFileError(f"{file}: an entry is not a leaderboard score ({exc}); {how}") from None
