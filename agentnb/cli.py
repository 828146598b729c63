"""The ``agentnb`` command: ``agentnb demo`` runs the newsroom team in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from agentnb.demo import NEWSROOM_TASK, newsroom
from agentnb.errors import AgentnbError
from agentnb.render import TerminalPrinter


async def run_demo(model: str | None, task: str, color: bool, max_turns: int) -> int:
    """Stream the newsroom run to stdout as it happens; return a process exit code."""
    from agentnb import models

    if model:
        models.set_default(model)
    choice = models.describe_default()
    team = newsroom(models.default(), max_turns=max_turns)  # resolved now: its notice comes first
    printer = TerminalPrinter(sys.stdout, color=color)
    print(printer.paint(f"agentnb demo · newsroom · model {choice.spec} ({choice.source})", code=90))
    try:
        async for event in team.stream(task):
            printer.feed(event)
            sys.stdout.flush()
    except AgentnbError as exc:
        print(f"\nagentnb: {exc}", file=sys.stderr)
        return 1
    result = team.last_result
    if result is not None:
        summary = f"{result.turns} turns · {result.usage.total_tokens} tokens"
        print(printer.paint(summary, code=90))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agentnb", description="Teams of AI agents, in notebooks.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the newsroom team: writer, fact-checker, editor, publisher")
    demo.add_argument("--model", help="model spec, e.g. scripted:newsroom, local, openai:gpt-4o-mini")
    demo.add_argument("--task", default=NEWSROOM_TASK, help="what the newsroom should write")
    demo.add_argument("--max-turns", type=int, default=12, help="stop after this many turns (default 12)")
    demo.add_argument("--color", action=argparse.BooleanOptionalAction, default=None,
                      help="colour the transcript (default: when printing to a terminal)")
    args = parser.parse_args(argv)
    if args.max_turns <= 0:
        parser.error("--max-turns must be a positive integer")
    color = args.color if args.color is not None else sys.stdout.isatty() and "NO_COLOR" not in os.environ
    try:
        return asyncio.run(run_demo(args.model, args.task, color, args.max_turns))
    except ValueError as exc:  # a bad model spec
        parser.error(str(exc))
    except KeyboardInterrupt:
        print("\nagentnb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
