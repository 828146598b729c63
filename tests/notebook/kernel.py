"""A real ipykernel for tests: run code, watch iopub, and act like a front end on widget comms."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from jupyter_client.manager import KernelManager, start_new_kernel

Message = dict[str, Any]


class Kernel:
    """One kernel (the venv's own python3, as jupyter_client runs ``python`` with sys.executable)."""

    def __init__(self) -> None:
        self.km: KernelManager
        self.km, self.kc = start_new_kernel(kernel_name="python3")
        self.widgets: dict[str, dict[str, Any]] = {}  # comm id -> latest known state

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def execute(
        self,
        code: str,
        *,
        on_message: Callable[[Message], None] | None = None,
        timeout: float = 60,
        every: bool = False,
    ) -> tuple[list[Message], Message]:
        """Run ``code``; returns this request's iopub messages (comms included) and its reply.

        ``every`` keeps the iopub messages of other requests too (e.g. their status messages).
        """
        msg_id = self.kc.execute(code)
        return self.collect(msg_id, on_message=on_message, timeout=timeout, every=every)

    def collect(
        self,
        msg_id: str,
        *,
        on_message: Callable[[Message], None] | None = None,
        timeout: float = 60,
        every: bool = False,
    ) -> tuple[list[Message], Message]:
        messages: list[Message] = []
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            kind = msg["msg_type"]
            own = msg["parent_header"].get("msg_id") == msg_id
            if kind.startswith("comm"):
                self._track(msg)
            elif not (own or every):
                continue
            messages.append(msg)
            if on_message is not None:
                on_message(msg)
            if own and kind == "status" and msg["content"]["execution_state"] == "idle":
                break
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                return messages, reply

    def send_control(self, msg_type: str) -> str:
        """Send a request on the control channel (answered even while a cell runs); its msg_id."""
        msg = self.kc.session.msg(msg_type, {})
        self.kc.control_channel.send(msg)
        return msg["header"]["msg_id"]

    def _track(self, msg: Message) -> None:
        content = msg["content"]
        state = content.get("data", {}).get("state")
        if state is not None:
            self.widgets.setdefault(content["comm_id"], {}).update(state)

    def find(self, css_class: str) -> str | None:
        """The comm id of the widget that has ``css_class``, if the kernel has shown one."""
        for comm_id, state in self.widgets.items():
            if css_class in state.get("_dom_classes", ()):
                return comm_id
        return None

    def send_comm(self, comm_id: str, data: dict[str, Any]) -> str:
        """Send a comm message on the shell channel; its msg_id."""
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def click(self, comm_id: str) -> None:
        self.send_comm(comm_id, {"method": "custom", "content": {"event": "click"}})

    def set_value(self, comm_id: str, value: str) -> None:
        self.send_comm(comm_id, {"method": "update", "state": {"value": value}, "buffer_paths": []})


class ThrottledBox:
    """A text box synced as ipywidgets' front end syncs it, one key at a time.

    The front end keeps one state update in flight: later changes are merged and held until
    the kernel publishes an ``idle`` status whose parent is the update in flight. Feed every
    iopub message to `seen` (collect with ``every=True``).
    """

    def __init__(self, kernel: Kernel, comm_id: str) -> None:
        self.kernel, self.comm_id = kernel, comm_id
        self.in_flight: str | None = None
        self.held: str | None = None
        self.sent: list[str] = []

    def type(self, text: str) -> None:
        """Key by key: the value after each key press."""
        for end in range(1, len(text) + 1):
            self._change(text[:end])

    def _change(self, value: str) -> None:
        if self.in_flight is not None:
            self.held = value
            return
        self.sent.append(value)
        self.in_flight = self.kernel.send_comm(
            self.comm_id, {"method": "update", "state": {"value": value}, "buffer_paths": []}
        )

    def seen(self, msg: Message) -> None:
        idle = msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
        if idle and self.in_flight is not None and msg["parent_header"].get("msg_id") == self.in_flight:
            self.in_flight = None
            if self.held is not None:
                value, self.held = self.held, None
                self._change(value)

    @property
    def synced(self) -> bool:
        return self.in_flight is None and self.held is None


def outputs(messages: list[Message], kind: str) -> list[dict[str, Any]]:
    """The ``data`` bundles of one kind of output message."""
    return [m["content"]["data"] for m in messages if m["msg_type"] == kind]


def stream_text(messages: list[Message]) -> str:
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
