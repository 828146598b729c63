"""How the files beside this one were made: agentnb as of commit 18bcdcd (before every saved format
went through agentnb.core.saved, and before cached replies had an envelope) wrote them, so
tests/core/test_saved_formats.py can check that files written then still load.

    git archive 18bcdcd agentnb | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old python tests/core/data/written_by_18bcdcd/make.py OUT

then copy OUT/team.json, OUT/trace.jsonl, OUT/report.json here, and OUT/cache/<key>.json as
cached_reply.json.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from pydantic_evals import Case, Dataset

from agentnb import Agent, Team
from agentnb.evals import SpeakerOrder, evaluate_sync
from agentnb.models import ModelRequest, ScriptedModel, cached, complete


def desk() -> Team:
    script = {"writer": ["Riverside votes to turn the rail yard into a park."], "editor": ["APPROVED"]}
    return Team([Agent("writer"), Agent("editor")], model=ScriptedModel(script), name="desk", max_turns=2)


def main(out: Path) -> None:
    team = desk()
    result = team.run_sync("Write about the park vote")
    team.save(out / "team.json")
    result.trace().to_jsonl(out / "trace.jsonl")
    dataset = Dataset(
        name="desk",
        cases=[Case(name="park", inputs="Write about the park vote")],
        evaluators=[SpeakerOrder(["writer", "editor"])],
    )
    evaluate_sync(desk, dataset, progress=False, name="desk").save(out / "report.json")
    model = cached(ScriptedModel({"writer": ["The council voted."]}), out / "cache")
    request = ModelRequest(agent="writer", messages=[{"role": "user", "content": "park vote"}])
    asyncio.run(complete(model, request))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
