"""The final challenge: the shared eval, the stand-in newsroom, the leaderboard and the honesty check."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from pydantic_evals import Case, Dataset

from agentnb import Agent, SavedFileError, Team
from agentnb.course import check
from agentnb.course.challenge import (
    ASSIGNMENTS,
    EVALUATORS,
    Entry,
    checked,
    leaderboard,
    lone_writer,
    references,
    run_challenge,
)
from agentnb.course.challenge_desk import STORIES, desk, search_archive
from agentnb.evals import evaluate_sync


def run(coroutine):
    return asyncio.run(coroutine)


def searching_writer(model) -> Team:
    """A writer that searches the archive itself, a checker and an editor."""
    desks = [
        Agent("writer", "You write from the archive.", tools=[search_archive]),
        Agent("fact_checker", "You check every number.", tools=[search_archive]),
        Agent("editor", "You publish cleared stories."),
    ]
    return Team(desks, until="PUBLISHED", max_turns=12, model=model)


@pytest.fixture(scope="module")
def entry() -> Entry:
    return run(run_challenge(searching_writer, name="searching writer"))


def test_the_shared_dataset_has_an_assignment_per_story_and_four_evaluators() -> None:
    assert [c.name for c in ASSIGNMENTS.cases] == [s.key for s in STORIES]
    assert len(ASSIGNMENTS.evaluators) == len(EVALUATORS) == 4


def test_every_story_has_its_facts_in_its_archive_and_in_the_sentence_a_writer_makes() -> None:
    """challenge_stories.toml is data a teacher edits: each fact must be findable where the desks look."""
    for story in STORIES:
        archive = " ".join(story.entries)
        draft = story.written({fact.name: fact.value for fact in story.facts})
        for fact in story.facts:
            assert [m.group(1) for m in re.finditer(fact.pattern, archive)] == [fact.value], (story.key, fact)
            assert [m.group(1) for m in re.finditer(fact.pattern, draft)] == [fact.value], (story.key, fact)
            assert fact.value not in fact.wrong and fact.wrong, (story.key, fact)


def test_the_stand_in_is_the_same_for_a_seed_and_differs_across_seeds() -> None:
    task = ASSIGNMENTS.cases[0].inputs
    drafts = [lone_writer(desk(seed)).run_sync(task).final for seed in (3, 3, *range(8))]
    assert drafts[0] == drafts[1]
    assert len(set(drafts[2:])) > 1


def test_a_checked_newsroom_beats_a_lone_writer_beyond_noise() -> None:
    scores = {e.name: e.rate for e in run(references())}
    lone, newsroom = scores["reference: lone writer"], scores["reference: checked newsroom"]
    assert not lone.overlaps(newsroom) and newsroom.value > lone.value


def test_an_entry_shows_its_score_interval_and_how_it_was_measured(entry: Entry) -> None:
    assert entry.repeat == 5 and entry.rate.runs == 30
    text = entry.text()
    assert text.startswith(f"searching writer: {entry.rate.passed} of 30 runs passed")
    assert "6 assignments × 5 runs on the stand-in" in text


def test_the_leaderboard_ranks_the_entry_among_the_references_and_keeps_earlier_entries(
    entry: Entry, tmp_path: Path
) -> None:
    board = run(leaderboard(entry))
    text = board.text()
    assert "searching writer (you)" in text and "reference: lone writer" in text
    assert "you are better" in text  # than the lone writer, beyond noise
    kept = tmp_path / "board.json"
    run(leaderboard(entry, path=kept))
    again = run(run_challenge(checked, name="my checked newsroom"))
    second = run(leaderboard(again, path=kept)).text()
    assert "searching writer" in second and "my checked newsroom (you)" in second
    saved = json.loads(kept.read_text())
    assert (saved["format"], saved["version"]) == ("agentnb-leaderboard", 1)
    assert [k["name"] for k in saved["entries"]] == ["searching writer", "my checked newsroom"]


def test_a_leaderboard_file_that_is_damaged_or_newer_is_refused_naming_it_and_left_as_it_is(
    entry: Entry, tmp_path: Path
) -> None:
    for content, words in (
        ("not json", "not JSON"),
        ('{"format": "agentnb-leaderboard", "version": 9, "entries": []}', "upgrade agentnb"),
        ('{"format": "agentnb-trace", "version": 1}', "not a saved agentnb leaderboard"),
        ('[{"name": "x"}]', "an entry is not a leaderboard score"),
    ):
        file = tmp_path / "board.json"
        file.write_text(content)
        with pytest.raises(SavedFileError, match=words) as caught:
            run(leaderboard(entry, path=file))
        assert str(file) in str(caught.value) and file.read_text() == content


def test_a_leaderboard_file_written_before_it_had_an_envelope_still_counts(
    entry: Entry, tmp_path: Path
) -> None:
    file = tmp_path / "board.json"
    old = {
        "name": "my first try",
        "model": entry.score().model,
        "repeat": entry.repeat,
        "passed": 1,
        "runs": 30,
    }
    file.write_text(json.dumps([old]))
    assert "my first try" in run(leaderboard(entry, path=file)).text()


def test_a_build_that_returns_no_team_says_so() -> None:
    report = run(run_challenge(lambda model: "a team", name="broken", repeat=1))
    failure = report.report.report.failures[0]
    assert "build returned str, not a Team" in failure.error_message


def test_another_model_is_resolved_once_and_used_for_every_run() -> None:
    entry = run(run_challenge(checked, name="auto", model="auto", repeat=1))
    assert entry.model.startswith("auto") and entry.rate.runs == 6


# ----- 11.1: an honest entry ------------------------------------------------------------------


def test_an_entry_run_as_given_is_honest(entry: Entry) -> None:
    verdict = check("11.1", entry)
    assert verdict.ok, verdict.message


def test_too_few_repeats_are_not_enough() -> None:
    verdict = check("11.1", run(run_challenge(searching_writer, repeat=2)))
    assert not verdict.ok and "fewer than 5 times" in verdict.message


def test_a_reference_team_is_not_an_entry() -> None:
    verdict = check("11.1", run(run_challenge(checked)))
    assert not verdict.ok and "that is a reference team" in verdict.message


def subject(seed: int) -> Team:
    return searching_writer(desk(seed))


def test_an_eval_on_other_assignments_is_refused() -> None:
    easy = Dataset(name="easy", cases=ASSIGNMENTS.cases[:3], evaluators=list(EVALUATORS))
    report = evaluate_sync(subject, easy, repeat=5, output=lambda r: r.final, progress=False)
    verdict = check("11.1", Entry("mine", "the stand-in", 5, report, searching_writer))
    assert not verdict.ok and "not the shared ones" in verdict.message


def test_changed_assignments_are_refused_too() -> None:
    changed = [
        Case(name=c.name, inputs=c.inputs, metadata={"facts": []}) for c in ASSIGNMENTS.cases
    ]  # no fact is required any more
    report = evaluate_sync(
        subject, Dataset(name="x", cases=changed, evaluators=list(EVALUATORS)), repeat=5, progress=False
    )
    verdict = check("11.1", Entry("mine", "the stand-in", 5, report, searching_writer))
    assert not verdict.ok and "not the shared ones" in verdict.message


def test_an_eval_without_every_evaluator_is_refused() -> None:
    lenient = Dataset(name=ASSIGNMENTS.name, cases=ASSIGNMENTS.cases, evaluators=list(EVALUATORS[:1]))
    report = evaluate_sync(subject, lenient, repeat=5, output=lambda r: r.final, progress=False)
    verdict = check("11.1", Entry("mine", "the stand-in", 5, report, searching_writer))
    assert not verdict.ok and "NumbersFromTheArchive, GivesTheFacts, TurnsAtMost" in verdict.message


def test_a_team_that_only_errs_is_sent_back_to_be_fixed() -> None:
    def failing(model) -> Team:
        return Team([Agent("writer")], max_turns=1, model=model, stop="not a condition")  # type: ignore[arg-type]

    verdict = check("11.1", run(run_challenge(failing)))
    assert not verdict.ok and "ended with an error" in verdict.message


def test_anything_else_is_not_an_entry() -> None:
    verdict = check("11.1", "27 of 30")
    assert not verdict.ok and "needs the Entry that run_challenge returned" in verdict.message
