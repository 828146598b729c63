"""``%%agentteam`` (run a team from a cell), ``%agentnb`` (status, default model),
``%agentcheckpoints`` (rewind, fork or X-ray a team at any message) and ``%agenttrace``."""

from __future__ import annotations

import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from agentnb.core.errors import RunError
from agentnb.core.human import Human
from agentnb.core.model import Model, ModelError
from agentnb.core.modes import MODES
from agentnb.core.result import TeamResult
from agentnb.core.team import Team
from agentnb.models import record, resolve, set_default
from agentnb.notebook import classroom, eval_progress, trace_view
from agentnb.notebook.build import TeamOptions, declared_team, find_human, named_team, option_tools
from agentnb.notebook.busy import reported_busy
from agentnb.notebook.checkpoints import CheckpointBrowser
from agentnb.notebook.live import live_chat_available, person_can_answer, run_with_chat
from agentnb.notebook.parse import interpolate, parse_body
from agentnb.notebook.runner import run_blocking
from agentnb.notebook.settings import AgentTeam, settings_for
from agentnb.notebook.status import status
from agentnb.views.chat import PRESENTATION, presentation, show_in

CELL_MODES = [m for m in MODES if m != "graph"]  # graph teams need edges: build them in Python
TEAM_SHAPE_OPTIONS = ("model", "mode", "max_turns", "until", "tools", "record", "replay", "store")
TEXT_OPTIONS = {  # options that take free text, with an example value for error messages
    "model": "scripted:newsroom",
    "until": "APPROVED",
    "tools": "search_archive,calc",
    "human": "alice",
    "out": "result",
    "record": "run.json",
    "replay": "run.json",
    "store": "runs.db",
}


def _spec_model(spec: str, option: str) -> Model:
    try:
        return resolve(spec)
    except (ValueError, ModelError) as exc:
        raise UsageError(f"{option}: {exc}") from None


def _options_of(magic: Any, line: str) -> Any:
    """The options of a magic's ``line``, split like a shell line but keeping backslashes.

    IPython's own splitter keeps the quotes (``--until "ALL DONE"`` would look for the quote
    marks too) and reports an unclosed quote as a bare ``ValueError``: a traceback in the
    notebook. Backslashes stay as typed, so Windows paths need no escaping.
    """
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split, lexer.escape, lexer.commenters = True, "", ""
    try:
        words = list(lexer)
    except ValueError as exc:  # "No closing quotation"
        raise UsageError(f"{exc} in the options {line.strip()}: close the quote, or remove it") from None
    return magic.parser.parse_args(words)


@magics_class
class AgentMagics(Magics):
    """The magics of ``%load_ext agentnb``; defaults come from the `AgentTeam` configurable."""

    def __init__(self, shell: Any, settings: AgentTeam) -> None:
        super().__init__(shell)
        self.settings = settings
        self.last_team: Team | None = None  # the team of the last %%agentteam cell

    @magic_arguments()
    @argument("team", nargs="?", help="A Team variable to run; then the whole body is the task.")
    @argument("--model", metavar="SPEC", help="Model spec for the team, e.g. scripted:newsroom, local.")
    @argument("--mode", choices=CELL_MODES, help="Who speaks next (default: round_robin).")
    @argument("--max-turns", type=int, metavar="N", help="Stop after N turns (default: 20).")
    @argument("--until", metavar="TEXT", help="Stop when a reply contains TEXT, e.g. APPROVED.")
    @argument("--tools", metavar="A,B", help="Notebook functions or @tools that every agent gets.")
    @argument("--human", metavar="NAME", help="A person in the team, answering in the chat.")
    @argument("--out", metavar="VAR", help="Also store the TeamResult in this variable.")
    @argument("--record", metavar="CASSETTE", help="Record the model's replies to this JSON file.")
    @argument("--replay", metavar="CASSETTE", help="Replay a recorded cassette instead of a model.")
    @argument(
        "--store",
        nargs="?",
        const="runs.db",
        metavar="FILE|URL",
        help="Write the run as it happens to a run store (alone: runs.db beside the notebook).",
    )
    @argument("--no-stream", action="store_true", help="No live chat: show the result when done.")
    @argument("--quiet", action="store_true", help="Show nothing; keep the result with --out.")
    @argument(
        "--trace", action="store_true", help="Show the run's trace beside the chat (saved in event order)."
    )
    @argument("--big", action="store_true", help="Large, high-contrast chat and result, for projecting.")
    @argument("--diagram", action="store_true", help="Draw the team's shape above the chat.")
    @cell_magic
    def agentteam(self, line: str, cell: str) -> TeamResult | None:
        """Run a team of agents on a task; the chat shows live, the cell waits for the end.

        Declare the agents in the cell, then a line ``---``, then the task::

            %%agentteam --until APPROVED --max-turns 9 --out story
            writer: You write short, factual news stories.
            fact_checker: You verify every claim.
                Indented lines continue the role. tools=search_archive
            editor: You edit. Reply APPROVED when the story is ready. model=scripted:newsroom
            ---
            Write 80 words on {topic}.

        An agent line starts at column 0 with ``name:``; indented lines continue the role;
        trailing ``model=SPEC``, ``tools=a,b`` and ``handoffs=a,b`` words set attributes.
        Blank lines and ``#`` comments between agents are ignored. With ``--mode plan`` an
        agent line called ``planner`` declares the planner (its role and model), not a step-doer.

        Or run a Team built in Python: ``%%agentteam my_team``; the body is the task (a
        blank body continues the team's conversation without a new message).

        ``{name}`` in the task is replaced by the notebook variable ``name``; only bare
        names are placeholders, so code and JSON braces stay as written; ``{{name}}`` gives
        a literal ``{name}``. The result is the cell's value (``_``) and renders as a chat
        transcript, each message with its checkpoint number ``#k`` (``%agentcheckpoints``
        rewinds or forks the team there). Stop the run with the Stop button or a kernel
        interrupt: the transcript so far is kept. The X-ray toggle shows what the next
        speaker's model call receives; ``--trace`` shows the trace beside the chat;
        ``--diagram`` draws the team (who may speak after whom) above it; ``--big`` is for
        projecting. Defaults: ``%config AgentTeam`` (model, mode, max_turns, stream,
        max_updates_per_second, trace, presentation).
        """
        args = _options_of(self.agentteam, line)
        ns = self.shell.user_ns
        for name, example in TEXT_OPTIONS.items():
            value = getattr(args, name)
            if value is not None and not value.strip():
                raise UsageError(f"--{name} is empty; give it a value, e.g. --{name} {example}")
        if args.out is not None and not args.out.isidentifier():
            raise UsageError(f"--out: {args.out!r} is not a variable name")
        if args.record and args.replay:
            raise UsageError("--record and --replay exclude each other: record a live run, then replay it")
        if args.replay and args.model:
            raise UsageError(
                "--replay replaces the model; drop --model (the cassette names the recorded one)"
            )
        if args.max_turns is not None and args.max_turns <= 0:
            raise UsageError(f"--max-turns: expected a positive number, got {args.max_turns}")
        chat = live_chat_available(self.shell) and self.settings.stream and not (args.no_stream or args.quiet)
        if args.human and live_chat_available(self.shell) and not chat:
            raise UsageError(f"--human {args.human} answers in the live chat; drop --no-stream / --quiet")

        humans: list[Human] = []
        if args.team is not None:
            given = [f"--{o.replace('_', '-')}" for o in TEAM_SHAPE_OPTIONS if getattr(args, o) is not None]
            if given:
                raise UsageError(
                    f"{', '.join(given)} shape a team declared in the cell; team {args.team!r} keeps "
                    "the settings it was built with (change them in Python)"
                )
            team = named_team(args.team, ns)
            task = interpolate(cell, ns, first_line_no=2).strip() or None
            if args.human:
                humans.append(find_human(team, args.human))
        else:
            room = classroom.parse(self.settings.classroom)
            if room is not None:
                room.apply(args, cell)
            spec = parse_body(cell)
            task = interpolate(spec.task, ns, first_line_no=spec.task_line_no)
            team = declared_team(spec.agents, self._options(args, spec.agents), ns)
            humans = [p for p in team.participants if isinstance(p, Human)]
        if not chat:
            humans = []
        elif humans and not person_can_answer(self.shell):
            raise UsageError(
                f"--human {humans[0].name}: a person must answer in the chat, but this cell runs "
                "without one (nbclient, jupyter nbconvert --execute, papermill); run it in JupyterLab "
                "or Jupyter Notebook, or leave the person out of the team"
            )

        trace = args.trace or self.settings.trace
        style = PRESENTATION if args.big else None
        self.last_team = team
        if args.diagram and not args.quiet:
            from IPython.display import display

            display(team.diagram())  # before the run: the chat then renders below it
        try:
            with reported_busy(getattr(self.shell, "kernel", None)):
                if chat:
                    result = run_with_chat(
                        self.shell,
                        team,
                        task,
                        humans=humans,
                        max_rate=self.settings.max_updates_per_second,
                        trace=trace,
                        style=style,
                        decide=person_can_answer(self.shell),
                    )
                else:
                    result = run_blocking(team, task)
        except RunError as exc:
            trace_view.remember(exc.result)
            if args.out:
                ns[args.out] = exc.result
            raise
        trace_view.remember(result)
        if args.out:
            ns[args.out] = result
        if args.quiet:
            return None
        if style is not None:
            show_in(result, style)
        if trace and not chat:  # the chat shows it; without one, the trace comes before the transcript
            from IPython.display import display

            display(_static_trace(result))
        return result

    def _options(self, args: Any, agents: list[Any]) -> TeamOptions:
        model: Model | str | None = None
        if args.replay:
            model = _spec_model(f"replay:{args.replay}", "--replay")
        elif args.model or self.settings.model:
            model = _spec_model(
                args.model or self.settings.model, "--model" if args.model else "AgentTeam.model"
            )
        if args.record:
            own = [a.name for a in agents if a.model]
            if own:
                raise UsageError(
                    f"--record records the team's model; agent {own[0]!r} has its own model= (remove it)"
                )
            model = record(model if model is not None else resolve(None), args.record)
        return TeamOptions(
            model=model,
            mode=args.mode or self.settings.mode,
            max_turns=args.max_turns or self.settings.max_turns,
            until=args.until,
            tools=option_tools(args.tools, self.shell.user_ns),
            human=args.human,
            stream_tokens=not (args.no_stream or args.quiet),
            store=args.store,
        )

    @magic_arguments()
    @argument("team", nargs="?", help="A Team variable; default: the team of the last %%agentteam cell.")
    @line_magic
    def agentcheckpoints(self, line: str) -> CheckpointBrowser:
        """Browse a team's checkpoints: pick a message, then rewind, fork or X-ray there.

        Checkpoint ``#k`` is the team just before message ``k`` (the numbers the chat
        transcript shows). Rewind redoes from there (``team.rewind(k)``); Fork makes a new
        team in the notebook variable you name (``fork = team.fork(k)``), the team untouched;
        X-ray shows what an agent's next model call would receive there. Close leaves the
        static list of checkpoints, so the saved notebook holds no widget.
        """
        args = _options_of(self.agentcheckpoints, line)
        if args.team is not None:
            team = named_team(args.team, self.shell.user_ns)
        elif self.last_team is not None:
            team = self.last_team
        else:
            raise UsageError(
                "%agentcheckpoints: no team has run yet; run a %%agentteam cell first, or name a "
                "Team: %agentcheckpoints my_team"
            )
        return CheckpointBrowser(team, namespace=self.shell.user_ns)

    @magic_arguments()
    @argument(
        "command",
        nargs="?",
        choices=["status", "model", "mcp", "classroom"],
        help="status (default), model, mcp, classroom",
    )
    @argument("spec", nargs="?", help="with model: the spec to use by default, e.g. scripted:newsroom")
    @line_magic
    def agentnb(self, line: str) -> Any:
        """Show agentnb's status (model in use and why, versions), set the default model, declare
        an MCP server, or set classroom mode.

        ``%agentnb`` shows the status; ``%agentnb model SPEC`` makes SPEC the default model
        (``agentnb.models.set_default``) for every team that names none; ``%agentnb mcp NAME
        COMMAND ARGS...`` puts ``MCPServer.stdio(COMMAND, ARGS)`` in the variable NAME (use it
        as ``tools=mcp:NAME``) and shows the tools it offers and what they say they do;
        ``%agentnb classroom record FOLDER`` (the teacher, once, live) records every following
        ``%%agentteam`` cell that declares its team, ``%agentnb classroom replay FOLDER`` (the
        students, offline) replays those recordings, ``%agentnb classroom off`` stops
        (`agentnb.notebook.classroom`).
        """
        if line.split(maxsplit=1)[:1] == ["classroom"]:
            self.settings.classroom = classroom.command(shlex.split(line)[1:])
            print(classroom.describe(classroom.parse(self.settings.classroom)))
            return None
        if line.split(maxsplit=1)[:1] == ["mcp"]:
            return declare_mcp(self.shell.user_ns, line.split(maxsplit=1)[1] if " " in line.strip() else "")
        args = _options_of(self.agentnb, line)
        if args.spec is not None and args.command != "model":
            raise UsageError("usage: %agentnb [status] | %agentnb model SPEC")
        if args.command == "model" and args.spec is not None:
            try:
                set_default(args.spec)
            except (ValueError, ModelError) as exc:
                raise UsageError(f"model: {exc}") from None
        return status(self.shell, self.settings.model)


def declare_mcp(namespace: dict[str, Any], words: str) -> Any:
    """``%agentnb mcp NAME COMMAND ARGS...``: the server in ``namespace[NAME]``; its description."""
    parts = shlex.split(words)
    if len(parts) < 2 or not parts[0].isidentifier():
        raise UsageError("usage: %agentnb mcp NAME COMMAND [ARGS...], e.g. %agentnb mcp git mcp-server-git")
    try:
        from agentnb.protocols.errors import ProtocolError
        from agentnb.protocols.mcp import MCPServer
    except ModuleNotFoundError as exc:
        raise UsageError(f"%agentnb mcp needs the mcp extra ({exc}): pip install 'agentnb[mcp]'") from None
    server = MCPServer.stdio(parts[1], parts[2:], name=parts[0])
    try:
        description = server.describe()
    except (ProtocolError, ValueError) as exc:
        raise UsageError(f"%agentnb mcp {parts[0]}: {exc}") from None
    namespace[parts[0]] = server
    return description


def _static_trace(result: TeamResult) -> Any:
    """The run's trace without clock times: the same output on every run."""
    from agentnb.views.trace import TraceView

    return TraceView(result.trace(), times=False, participants=result.participants)


def register(shell: Any) -> AgentMagics:
    """Register the settings with ``%config`` and the magics with the shell."""
    settings = settings_for(shell)
    shell.configurables.append(settings)
    magics = AgentMagics(shell, settings)
    shell.register_magics(magics)
    trace_view.register(shell)
    eval_progress.register(shell)
    return magics


def unregister(shell: Any) -> None:
    """Undo `register`: the magics go away, and so do their settings (and the presentation style)."""
    for name, kind in (("agentteam", "cell"), ("agentnb", "line"), ("agentcheckpoints", "line")):
        shell.magics_manager.magics[kind].pop(name, None)
    trace_view.unregister(shell)
    eval_progress.unregister()
    if any(isinstance(c, AgentTeam) and c.presentation for c in shell.configurables):
        presentation(False)
    shell.configurables[:] = [c for c in shell.configurables if not isinstance(c, AgentTeam)]
