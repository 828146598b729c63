"""The live chat under load, in a real kernel: run ``python tests/perf/bench_widget.py [runs]``.

Streams 10,000 tokens from 3 agents (20 replies of 500 words, one token per word, a small
delay between tokens so the stream lasts a few seconds, as a model's would) through a
``%%agentteam`` cell executed by nbclient in a fresh ipykernel, and prints medians over the
runs of: comm messages the kernel sent for the chat (and per second, mean and busiest
second), redraws per second, kernel CPU microseconds per token (the whole process, the same
run without a chat, and the main thread's share during the run, which is the chat's own
work: draining events, drawing, sending widget messages, serving the kernel), the saved
notebook's size, and whether the front end ended up with every token. Targets (issue 4):
<= 20 redraws a second, <= 20 us of chat CPU per token, no text lost. A benchmark, never
a timed assertion in the test suite.

The kernel run streams plain words; a second table measures, in this process (no kernel,
no comms), what drawing costs for replies written in markdown (headings, lists, a table,
highlighted code) and how long the worst markdown the chat will parse takes.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from typing import Any

import nbformat
from nbclient import NotebookClient

from agentnb.views.markup import MARKDOWN_LIMIT, to_html

TOKENS = 10_000
AGENTS = ("anna", "ben", "cleo")
WORDS_PER_REPLY = 500
REPLIES = TOKENS // WORDS_PER_REPLY
TOKEN_LATENCY = 0.0005  # seconds between tokens

SETUP = f"""
import json, time
from agentnb import Agent, Team, models
from agentnb.notebook import widget as _w
AGENTS = {AGENTS!r}
def replies(name):
    return [" ".join(f"{{name}}{{r}}w{{i}}" for i in range({WORDS_PER_REPLY})) for r in range({REPLIES})]
def make_team():
    model = models.ScriptedModel({{a: replies(a) for a in AGENTS}}, token_latency={TOKEN_LATENCY})
    return Team([Agent(a) for a in AGENTS], model=model, max_turns={REPLIES})
redraws = []
_flush = _w.ChatWidget.flush
def counting_flush(self, *, force=False):
    drawn = _flush(self, force=force)
    if drawn:
        redraws.append(time.perf_counter())
    return drawn
_w.ChatWidget.flush = counting_flush
import agentnb.notebook.live as _live
main_thread_cpu = []
_run_blocking = _live.run_blocking
def timed_run_blocking(*args, **kwargs):
    started = time.thread_time()
    try:
        return _run_blocking(*args, **kwargs)
    finally:
        main_thread_cpu.append(time.thread_time() - started)
_live.run_blocking = timed_run_blocking
baseline_team = make_team()
cpu = time.process_time()
baseline_team.run_sync("Go.")
baseline_cpu = time.process_time() - cpu
team = make_team()
%load_ext agentnb
"""
START = "cpu0, wall0 = time.process_time(), time.perf_counter()"
RUN = "%%agentteam team --out result\nGo."
REPORT = """
cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
tokens = sum(len(m.content.split()) for m in result.chat() if m.source != "user")
span = (redraws[-1] - redraws[0]) if len(redraws) > 1 else wall
print(json.dumps({"cpu": cpu, "main_cpu": main_thread_cpu[-1], "wall": wall,
                  "baseline_cpu": baseline_cpu, "tokens": tokens,
                  "redraws": len(redraws), "redraw_span": span,
                  "texts": [m.content for m in result.chat() if m.source != "user"]}))
"""


class CountingClient(NotebookClient):
    """Counts the comm messages the kernel sends, and keeps each widget's latest state."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.comm_times: list[float] = []
        self.states: dict[str, dict[str, Any]] = {}

    def handle_comm_msg(self, outs: Any, msg: dict[str, Any], cell_index: int) -> None:
        if msg["msg_type"] in ("comm_open", "comm_msg"):
            self.comm_times.append(time.perf_counter())
            state = msg["content"].get("data", {}).get("state")
            if state:
                self.states.setdefault(msg["content"]["comm_id"], {}).update(state)
        super().handle_comm_msg(outs, msg, cell_index)


def busiest_second(times: list[float]) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] > 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def one_run() -> dict[str, float]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (SETUP, START, RUN, REPORT)])
    client = CountingClient(nb, kernel_name="python3", timeout=600, store_widget_state=False)
    client.execute()
    report = json.loads(nb.cells[3].outputs[0]["text"])
    run_comms = client.comm_times
    values = [s.get("value") for s in client.states.values()]  # a toggle's value is a bool
    bubbles = " ".join(v for v in values if isinstance(v, str) and "agentnb-msg" in v)
    lost = sum(to_html(text) not in bubbles for text in report["texts"])
    saved_lab = len(nbformat.writes(nb).encode())
    nb_state = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in (SETUP, START, RUN, REPORT)]
    )
    NotebookClient(nb_state, kernel_name="python3", timeout=600).execute()
    span = max(report["wall"], 1e-9)
    return {
        "tokens": report["tokens"],
        "comm messages": len(run_comms),
        "comm messages / s (mean)": len(run_comms) / span,
        "comm messages in busiest second": busiest_second(run_comms),
        "redraws": report["redraws"],
        "redraws / s": report["redraws"] / max(report["redraw_span"], 1e-9),
        "run wall time (s)": report["wall"],
        "kernel CPU us / token, with chat": 1e6 * report["cpu"] / report["tokens"],
        "kernel CPU us / token, no chat (run_sync)": 1e6 * report["baseline_cpu"] / report["tokens"],
        "chat CPU us / token (difference)": 1e6 * (report["cpu"] - report["baseline_cpu"]) / report["tokens"],
        "chat CPU us / token (main thread: feed, draw, send, pump)": 1e6
        * report["main_cpu"]
        / report["tokens"],
        "replies missing at the front end": lost,
        "saved notebook KB (no widget state, as JupyterLab saves)": saved_lab / 1024,
        "saved notebook KB (nbclient default: widget state kept)": len(nbformat.writes(nb_state).encode())
        / 1024,
    }


MARKDOWN_REPLY = """## Findings for {name}

The council voted **7-2** to turn the rail yard into a park; see [the minutes](https://example.org/m).
Funding comes from two sources, and the *state grant* covers most of it.

- Budget: $4.5 million in total
  - $3.9 million from the state parks grant
  - the rest from the city
- Size: 14 acres on the east side

| source | amount |
|--------|-------:|
| state  | 3.9    |
| city   | 0.6    |

```python
def share(part, total):
    return round(100 * part / total, 1)  # percent
```

Next, the editor checks the quotes and the publisher decides.
"""


def in_process(replies: int = 30, tokens_per_second: float = 50.0) -> dict[str, float]:
    """Feed and draw markdown replies token by token in a `ChatWidget` with a simulated clock."""
    from agentnb.core.events import TextMessage, TokenDelta
    from agentnb.notebook.widget import ChatWidget

    now = [0.0]
    chat = ChatWidget("bench", participants=AGENTS, clock=lambda: now[0])
    tokens = 0
    started = time.process_time()
    for r in range(replies):
        name = AGENTS[r % len(AGENTS)]
        reply = MARKDOWN_REPLY.format(name=f"{name} {r}")
        for token in re.findall(r"\s*\S+", reply):
            chat.feed(TokenDelta(source=name, text=token))
            chat.flush()
            now[0] += 1 / tokens_per_second
            tokens += 1
        chat.feed(TextMessage(source=name, content=reply))
        chat.flush(force=True)
    cpu = time.process_time() - started
    chat.dispose()
    hostile = {
        "stars": "*" * MARKDOWN_LIMIT,
        "brackets": "[" * MARKDOWN_LIMIT,
        "links": "[a](" * (MARKDOWN_LIMIT // 4),
        "emphasis": "*a **b " * (MARKDOWN_LIMIT // 7),
    }
    worst, size = {}, MARKDOWN_LIMIT // 1000
    for label, text in hostile.items():
        started = time.process_time()
        to_html(text)
        worst[label] = time.process_time() - started
    return {
        "tokens": tokens,
        "redraws": chat.flushes,
        "chat CPU us / token (feed + draw, markdown replies)": 1e6 * cpu / tokens,
        **{f"to_html of {size} KB of {k}, ms": 1e3 * v for k, v in worst.items()},
    }


def print_table(title: str, results: list[dict[str, float]]) -> None:
    print(title)
    width = max(len(k) for k in results[0])
    for key in results[0]:
        value = statistics.median(r[key] for r in results)
        print(f"  {key:<{width}}  {value:>10,.1f}")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    results = [one_run() for _ in range(runs)]
    kernel = f"chat widget, {TOKENS:,} tokens from {len(AGENTS)} agents, real kernel, median of {runs} runs"
    print_table(kernel, results)
    local = [in_process() for _ in range(runs)]
    print_table(f"markdown replies drawn in this process (no kernel), median of {runs} runs", local)


if __name__ == "__main__":
    main()
