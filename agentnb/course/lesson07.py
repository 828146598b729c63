"""Lesson 07's exercises (humans in the loop): graded from approvals, handoffs and transcripts.

07.1 reads each tool call's `Approval` and result (approved as is, edited, or rejected with a
reason), 07.2 reads where a run stopped after a handoff to a person and how the next run
began, and 07.3 reads a rewound team's transcript: one task, the person's new answer, a finish.
"""

from __future__ import annotations

import json
from typing import Any

from agentnb.core.events import (
    USER,
    Approval,
    Event,
    Handoff,
    SpeakerSelected,
    Stop,
    TextMessage,
    ToolCall,
    ToolCalls,
    ToolResult,
)
from agentnb.core.human import Human
from agentnb.core.team import Team
from agentnb.course.checks import exercise
from agentnb.course.lesson02 import result_of
from agentnb.course.quiz import question, right, wrong

WRONG_SIZE = "12 acres"  # what the desk's draft post gets wrong (the site is 14 acres)


def _arguments(text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _calls(events: list[Event]) -> list[ToolCall]:
    return [call for e in events if isinstance(e, ToolCalls) and not e.scope for call in e.calls]


def _approval_hint(call: ToolCall, approval: Approval, result: ToolResult | None) -> str | None:
    """What is wrong with how one call was decided, or None."""
    what = f"{call.name}({call.arguments})"
    if call.name == "unpublish":
        if approval.approved:
            return f"you approved {what}, and the story came down: reject unpublish calls."
        if not approval.comment.strip():
            return (
                f"you rejected {what} without saying why: the comment goes back to the desk, which can only "
                "do better if it knows the reason. Return (False, 'why')."
            )
        return None
    text = str(_arguments(call.arguments).get("text", ""))
    if WRONG_SIZE not in text:
        if not approval.approved:
            return f"you rejected {what}, a post that was right as it was: approve it."
        if approval.arguments is not None:
            return f"you edited {what}, a post that was right as it was: approve it unchanged."
        return None
    if not approval.approved:
        return (
            f"you rejected {what}; it only needs the size fixed. Approve it with edited arguments: return "
            "(True, comment, {...the arguments as they should be...})."
        )
    if approval.arguments is None:
        return (
            f"{what} went out as the model wrote it, with '{WRONG_SIZE}': approve it with edited arguments "
            "(a third item in your answer) whose text says 14 acres."
        )
    edited = str(_arguments(approval.arguments).get("text", ""))
    if WRONG_SIZE in edited or "14 acres" not in edited:
        return f"your edited text {edited!r} should say 14 acres instead of {WRONG_SIZE}."
    if result is None or result.is_error:
        return f"the edited call of {call.name} did not run: {result.content if result else 'no result'}."
    return None


@exercise(
    "07.1",
    "approve, edit, reject",
    expects="the result of the social desk's run (a TeamResult)",
    right=(
        "the person approved the right posts, fixed the wrong size in an edited call that then ran, "
        "and rejected the unpublish with a reason the desk could read."
    ),
)
def approve_edit_reject(answer: Any) -> str | None:
    events = result_of(answer).messages
    approvals = {e.call_id: e for e in events if isinstance(e, Approval)}
    results = {e.call_id: e for e in events if isinstance(e, ToolResult)}
    calls = [c for c in _calls(events) if c.name in ("post", "unpublish")]
    if not approvals:
        return "no call in this run was decided by a person: give the chief your approve_fn and run the desk."
    for call in calls:
        approval = approvals.get(call.id)
        if approval is None:
            return f"{call.name}({call.arguments}) was not decided by anyone."
        hint = _approval_hint(call, approval, results.get(call.id))
        if hint:
            return hint
    return None


def _team(answer: Any) -> Team:
    if not isinstance(answer, Team):
        raise TypeError(f"got {type(answer).__name__}, not a Team")
    return answer


def _humans(team: Team) -> list[str]:
    return [p.name for p in team.participants if isinstance(p, Human)]


@exercise(
    "07.2",
    "hand off to a person",
    expects="the subscription desk team, after both runs",
    right=(
        "the run stopped when the floor went to the customer, and the next run began with the "
        "customer's answer and the agent who had asked."
    ),
)
def hand_off_to_a_person(answer: Any) -> str | None:
    team = _team(answer)
    humans = _humans(team)
    if not humans:
        return "this team has no Human: the customer must be a participant to be handed the conversation."
    events = list(team.transcript)
    handoffs = [
        i for i, e in enumerate(events) if isinstance(e, Handoff) and not e.scope and e.target in humans
    ]
    if not handoffs:
        return (
            "no agent handed off to the customer in this team's runs: run the desk on the customer's "
            "complaint."
        )
    at = handoffs[0]
    person, by = events[at].target, events[at].source  # type: ignore[attr-defined]
    after = events[at + 1 :]
    stop = next((i for i, e in enumerate(after) if isinstance(e, Stop) and not e.scope), None)
    asked = [e for e in after[:stop] if isinstance(e, TextMessage) and e.source == person]
    if asked:
        return (
            f"the run went straight on and asked the {person} through input_fn ({asked[0].content!r}), but "
            "nobody is at the keyboard: the answer comes later, by email. Stop the run when the floor goes "
            "to the person: a stop condition met by that Handoff event (Predicate)."
        )
    if stop is None:
        return "the run did not stop after the handoff."
    rest = after[stop + 1 :]
    if not rest:
        return (
            f"the run stopped at the handoff, as it should; now give the team the {person}'s answer as "
            "the next task."
        )
    first = rest[0]
    if not (isinstance(first, TextMessage) and first.source == USER):
        return (
            f"the next run began without the {person}'s answer, so the team had to ask them again: pass the "
            "answer as the task, team.run_sync('...')."
        )
    speakers = [e.speaker for e in rest if isinstance(e, SpeakerSelected) and not e.scope]  # type: ignore[attr-defined]
    if not speakers or speakers[0] != by:
        return (
            f"after the answer, {by} (who asked) should take the floor again; {speakers[:1] or 'nobody'} did."
        )
    if not any(isinstance(e, TextMessage) and e.source == by for e in rest):
        return f"{by} has not answered the {person} yet: let the second run go on until it replies."
    return None


@exercise(
    "07.3",
    "take back an answer",
    expects="the night desk team, rewound and run again",
    right=(
        "you rewound to just before the chief's answer, gave another one and continued without a new "
        "task: the draft was revised and then published."
    ),
)
def take_back_an_answer(answer: Any) -> str | None:
    team = _team(answer)
    humans = _humans(team)
    if not humans:
        return "this team has no Human: pass the night desk team, whose chief is a person."
    chief = humans[0]
    events = list(team.transcript)
    tasks = [e for e in events if isinstance(e, TextMessage) and e.source == USER and not e.scope]
    if len(tasks) != 1:
        return (
            f"this team's transcript has {len(tasks)} tasks: rewind to the checkpoint just before the "
            f"{chief}'s answer (not to the start) and continue with team.run_sync(), without a new task, so "
            "the draft and the task stay as they were."
        )
    if team.last_result is None:
        return "the team was rewound but has not run since: continue it with team.run_sync()."
    said = [e for e in events if isinstance(e, TextMessage) and e.source != USER and not e.scope]
    answers = [m for m in said if m.source == chief]
    if not answers:
        return f"the {chief} has not answered in this team: run it."
    if "PUBLISH" in answers[0].content:
        return (
            f"the {chief}'s first answer still publishes the first draft ({answers[0].content!r}). Rewind "
            f"to the checkpoint just before it (team.checkpoints.find(source='{chief}')) and give the "
            f"{chief} another answer before you continue."
        )
    drafts = [m for m in said if m.source != chief]
    if len(drafts) < 2 or not team.last_result.stop_reason.startswith(f"{chief} said"):
        return (
            f"the run ended with {team.last_result.stop_reason!r}: after the {chief} asks for a change, let "
            f"the writer revise and the {chief} publish."
        )
    return None


question(
    "07.a",
    "A person rejects a tool call, with a comment. What happens?",
    wrong("The run stops.", "A rejection is an answer, not an error: the run goes on."),
    right(
        "The tool does not run; its result is an error carrying the comment, which the model reads.",
        "Right: that is how the agent learns what to fix.",
    ),
    wrong("The tool runs, and the comment is logged.", "A gate that lets the call through is no gate."),
)
question(
    "07.b",
    "In handoff mode, who decides who speaks next?",
    wrong("A selector model.", "That is selector mode."),
    right(
        "The agent that has the conversation, by calling a `transfer_to_<name>` tool.",
        "Right: control moves along the handoff arrows of the diagram.",
    ),
    wrong("The order of the participants.", "That is round robin."),
)
question(
    "07.c",
    "A `RemoteAgent` takes its turn over A2A. What does the remote agent get?",
    wrong("Your notebook's tools and variables.", "Nothing of your process is shared: only messages travel."),
    right(
        "What was said since its last turn, sent to its URL; its answer becomes its turn.",
        "Right: whoever runs that URL reads what you send; A2A trusts the card at the URL.",
    ),
    wrong("Nothing: it works from its own data only.", "It gets the conversation, and answers it."),
)
