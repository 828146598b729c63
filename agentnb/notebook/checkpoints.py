"""The checkpoint browser: pick a message of a team's run, then rewind, fork or X-ray there.

Checkpoint ``#k`` is the team just before its event ``k``. `CheckpointBrowser` lists the
team's messages with their numbers; for the one picked:

- **Rewind** runs ``team.rewind(k)``: the events after it are gone; run the team again to
  redo that message (offered for a team held in a notebook variable, so it can be run).
- **Fork** runs ``name = team.fork(k)`` into the notebook variable named in the box: a new
  team that continues from there, the original untouched.
- **X-ray** (a button per agent) shows what that agent's next model call would receive at
  that checkpoint, and what its context policy cut.

A widget left in a saved notebook renders as "model not found" in JupyterLab, so the browser
is only shown when asked for (``%agentcheckpoints``, `explore`), only to a person (a
notebook run by nbclient gets its static list), and Close replaces it with that list.
"""

from __future__ import annotations

import keyword
from collections.abc import MutableMapping
from typing import Any

import ipywidgets as widgets

from agentnb.core.agent import Agent
from agentnb.core.errors import AgentnbError
from agentnb.core.team import Team
from agentnb.notebook.controls import button
from agentnb.views.checkpoints import (
    CheckpointList,
    browser_heading,
    browser_note,
    checkpoint_message,
    context_at,
    excerpt,
)
from agentnb.views.xray import xray_panel


def variable_of(value: Any, namespace: MutableMapping[str, Any] | None) -> str | None:
    """The name of a notebook variable holding ``value`` (not ``_``-prefixed), if any."""
    if namespace is None:
        return None
    return next((k for k, v in namespace.items() if v is value and not k.startswith("_")), None)


class CheckpointBrowser(widgets.VBox):
    """Rewind, fork or X-ray ``team`` at any of its messages; ``namespace`` is where forks go."""

    def __init__(self, team: Team, *, namespace: MutableMapping[str, Any] | None = None) -> None:
        self.team = team
        self.namespace = namespace
        self.handle: Any = None
        self.last_fork: Team | None = None
        self.header = widgets.HTML()
        self.picker = widgets.Select(
            rows=10, layout=widgets.Layout(width="100%"), _dom_classes=["agentnb-checkpoint-picker"]
        )
        self.picker.observe(lambda _: self._show_message(), "value")
        self.message_view = widgets.HTML(_dom_classes=["agentnb-checkpoint-message"])
        self.name_box = widgets.Text(
            value="fork",
            description="fork as",
            layout=widgets.Layout(width="220px"),
            _dom_classes=["agentnb-fork-name"],
        )
        self.rewind_button = button("Rewind", "agentnb-rewind", lambda _: self.rewind(), icon="undo")
        self.fork_button = button("Fork", "agentnb-fork", lambda _: self.fork(), icon="code-fork")
        agents = [p.name for p in team.participants if isinstance(p, Agent)]
        self.xray_buttons = [
            button(
                f"X-ray {name}",
                "agentnb-xray-agent",
                lambda _, name=name: self.xray(name),
                tooltip=f"What {name}'s next model call would receive at this checkpoint",
            )
            for name in agents
        ]
        self.xray_panel = widgets.HTML(_dom_classes=["agentnb-xray"])
        self.outcome = widgets.HTML(_dom_classes=["agentnb-checkpoint-outcome"])
        self.close_button = button(
            "Close", "agentnb-checkpoints-close", lambda _: self.close_view(), icon="times"
        )
        super().__init__(
            [
                self.header,
                self.picker,
                self.message_view,
                widgets.HBox([self.rewind_button, self.name_box, self.fork_button, self.close_button]),
                widgets.HBox(self.xray_buttons, layout=widgets.Layout(flex_flow="row wrap")),
                self.outcome,
                self.xray_panel,
            ],
            # also "agentnb-checkpoints", the static list's class: a page shows the same kind of view
            # whether the browser or its saved list is on it (the course's browser test reads it)
            _dom_classes=["agentnb-checkpoints-browser", "agentnb-checkpoints"],
        )
        self.refresh()

    # ----- what is listed ----------------------------------------------------------------------

    @property
    def checkpoint(self) -> int | None:
        """The checkpoint picked: the one just before the selected message."""
        return self.picker.value

    def refresh(self) -> None:
        """List the team's messages as they are now (after a rewind, fewer)."""
        listing = CheckpointList.of(self.team)
        self.picker.options = [(f"#{k}  {e.source}: {excerpt(e, 90)}", k) for k, e in listing.rows]
        if listing.rows:
            self.picker.value = listing.rows[-1][0]
        variable = variable_of(self.team, self.namespace)
        self.rewind_button.disabled = self.namespace is not None and variable is None
        self.rewind_button.tooltip = (
            f"team.rewind(k): {variable or 'the team'} goes back to before the message"
            if not self.rewind_button.disabled
            else "This team is in no notebook variable, so it could not be run again: fork it instead"
        )
        self.header.value = browser_heading(self.team.name, len(listing.rows))
        self._show_message()

    def _show_message(self) -> None:
        k = self.checkpoint
        if k is None or k >= len(self.team.transcript):
            self.message_view.value = ""
            return
        self.message_view.value = checkpoint_message(self.team.transcript[k], self.team.names, k)

    # ----- actions -----------------------------------------------------------------------------

    def rewind(self, k: int | None = None) -> None:
        """``team.rewind(k)`` (default: the picked checkpoint), then list what is left."""
        k = self.checkpoint if k is None else k
        if k is None:
            return self._say("Pick a message first.", error=True)
        try:
            self.team.rewind(k)
        except AgentnbError as exc:
            return self._say(str(exc), error=True)
        name = variable_of(self.team, self.namespace) or "team"
        self.xray_panel.value = ""  # an X-ray of the conversation that was just taken back
        self.refresh()
        self._say(
            f"`{name}.rewind({k})` done: the team is back before message #{k}. Run it again to redo "
            f"it: `%%agentteam {name}` with an empty body, or `await {name}.run()`."
        )

    def fork(self, k: int | None = None, name: str | None = None) -> Team | None:
        """``name = team.fork(k)`` into the notebook (default: the picked checkpoint and the box's name)."""
        k = self.checkpoint if k is None else k
        name = (self.name_box.value if name is None else name).strip()
        if k is None:
            return self._say("Pick a message first.", error=True)
        if not name.isidentifier() or keyword.iskeyword(name):
            return self._say(f"{name!r} is not a variable name; type one in the box, e.g. fork", error=True)
        try:
            fork = self.team.fork(k)
        except AgentnbError as exc:
            return self._say(str(exc), error=True)
        self.last_fork = fork
        team = variable_of(self.team, self.namespace) or "team"
        if self.namespace is None:
            self._say(f"`{name} = {team}.fork({k})` made: it is `browser.last_fork`.")
            return fork
        self.namespace[name] = fork
        self._say(
            f"`{name} = {team}.fork({k})` done: `{name}` continues from before message #{k}; {team} "
            f"is untouched. Run it with `%%agentteam {name}` or `await {name}.run()`; change an agent "
            f"first, e.g. `{name}.participant('…').role = '…'`."
        )
        return fork

    def xray(self, agent: str, k: int | None = None) -> None:
        """Show what ``agent``'s next model call would receive at checkpoint ``k`` (read from a fork)."""
        k = self.checkpoint if k is None else k
        if k is None:
            return self._say("Pick a message first.", error=True)
        try:
            preview = context_at(self.team, k, agent)
        except (AgentnbError, ValueError) as exc:
            return self._say(str(exc), error=True)
        code = f"team.fork({k}).participant({agent!r}).context_preview(...)"
        self.xray_panel.value = xray_panel(
            f"X-ray at checkpoint #{k}: what {agent} would receive", preview, code=code
        )
        return None

    def _say(self, text: str, *, error: bool = False) -> None:
        """Say what happened under the buttons (`code` in backticks shows as code)."""
        self.outcome.value = browser_note(text, error=error)

    # ----- display -----------------------------------------------------------------------------

    def static_bundle(self) -> dict[str, str]:
        """The team's checkpoints as deterministic HTML, markdown and text."""
        return CheckpointList.of(self.team)._repr_mimebundle_()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle.update(self.static_bundle())
        return bundle

    def _ipython_display_(self) -> None:
        """Shown to a person: the browser (Close can replace it); else only its static list."""
        from IPython import get_ipython
        from IPython.display import display

        from agentnb.notebook.live import live_chat_available, person_can_answer

        shell = get_ipython()
        if shell is None or not live_chat_available(shell) or not person_can_answer(shell):
            display(self.static_bundle(), raw=True)
            self.dispose()
            return
        self.handle = display(self._repr_mimebundle_(), raw=True, display_id=True)

    def close_view(self) -> None:
        """Replace the browser with its static list (a saved notebook then holds no widget)."""
        if self.handle is not None:
            self.handle.update(self.static_bundle(), raw=True)
        self.dispose()

    def dispose(self) -> None:
        """Close the browser's widgets and free their comms."""
        pending: list[widgets.Widget] = [self]
        while pending:
            widget = pending.pop()
            pending.extend(getattr(widget, "children", ()))
            widget.close()


def explore(team: Team) -> CheckpointBrowser:
    """A checkpoint browser for ``team``; forks go into the notebook's variables."""
    from IPython import get_ipython

    shell = get_ipython()
    return CheckpointBrowser(team, namespace=shell.user_ns if shell is not None else None)
