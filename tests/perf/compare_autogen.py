"""agentnb's framework overhead next to AutoGen AgentChat's, measured in one run on one machine.

    python tests/perf/compare_autogen.py [--repeats 5] [--quick] [--venv PATH] [--refresh]

AutoGen is installed with pip into its own virtualenv (a cache directory outside the repo,
reused while it matches this Python); it is never a dependency of agentnb. Both frameworks run
the same workloads with instant models that do no work: a 3-agent round robin of N messages
and one agent calling a trivial tool K times. Every measurement is a fresh process (a small
warm-up run, then one timed run; see compare_protocol.py), sides alternate, and the script
checks both sides produced the same messages and model calls before it prints a markdown
table of medians and AutoGen / agentnb ratios. A benchmark, never part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PACKAGES = ["autogen-agentchat", "autogen-core"]
MARKER = "agentnb-compare.json"  # written into a venv this script created, so --refresh may remove it
IMPORTS = {
    "agentnb": "from agentnb import Agent, Team, tool",
    "autogen": "from autogen_agentchat.agents import AssistantAgent; "
    "from autogen_agentchat.teams import RoundRobinGroupChat; "
    "from autogen_agentchat.conditions import MaxMessageTermination",
}
TIME_IMPORT = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"
LABELS = {
    "round_robin": "per message, 3-agent round robin, N={size:,}",
    "tool_loop_async": "per tool round trip, async tool, K={size:,}",
    "tool_loop_thread": "per tool round trip, sync tool in a worker thread, K={size:,}",
}


class CompareError(Exception):
    """The comparison cannot go on; the message says what happened and what to do."""


@dataclass(frozen=True)
class Case:
    """One row of the table: a workload at one size."""

    workload: str
    size: int

    def expected(self) -> dict[str, int]:
        """The work both sides must report for this case."""
        if self.workload == "round_robin":
            return {"messages": self.size, "model_calls": self.size}
        return {"tool_results": self.size, "model_calls": self.size + 1}


Samples = dict[tuple[Case, str], list[float]]


def default_venv() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "agentnb" / "autogen-venv"


def run(command: list[str], what: str, timeout: float = 900) -> str:
    """Run a command and return its stdout; a failure becomes a `CompareError` naming ``what``."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CompareError(f"{what}: no answer after {timeout:.0f} s ({' '.join(command)})") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise CompareError(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_autogen(venv: Path, refresh: bool) -> Path:
    """The Python of a virtualenv with AutoGen AgentChat installed, creating it if needed."""
    python = venv_python(venv)
    if refresh and (venv / MARKER).exists():
        shutil.rmtree(venv)
    if not python.exists():
        if venv.exists() and any(venv.iterdir()):
            raise CompareError(
                f"--venv {venv}: the directory exists but is not a virtualenv; pass another path"
            )
        print(f"creating a virtualenv for AutoGen in {venv}", file=sys.stderr)
        run([sys.executable, "-m", "venv", str(venv)], f"creating the virtualenv {venv}")
        (venv / MARKER).write_text(json.dumps({"python": platform.python_version()}))
    ours = platform.python_version()
    theirs = run(
        [str(python), "-c", "import platform; print(platform.python_version())"], str(python)
    ).strip()
    if theirs != ours:
        raise CompareError(
            f"--venv {venv} runs Python {theirs} but this script runs {ours}; both sides must use "
            "the same Python. Pass --refresh (or another --venv) to rebuild it."
        )
    installed = subprocess.run([str(python), "-c", "import autogen_agentchat"], capture_output=True)
    if refresh or installed.returncode != 0:
        print(f"installing {' '.join(PACKAGES)} from PyPI into {venv}", file=sys.stderr)
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-U", *PACKAGES]
        try:
            run(pip, f"pip install {' '.join(PACKAGES)} into {venv}")
        except CompareError as exc:
            raise CompareError(
                f"{exc}\nCheck that pip can reach PyPI (or your configured index), then retry; or pass "
                "--venv to a virtualenv that already has autogen-agentchat for this Python."
            ) from None
    return python


def measure(python: Path, side: str, case: Case) -> tuple[float, dict[str, Any]]:
    """Microseconds per message (or round trip) of one fresh-process run, and its JSON record."""
    command = [str(python), str(HERE / f"{side}_side.py"), case.workload, str(case.size)]
    record = json.loads(run(command, f"{side} {case.workload} {case.size}").strip().splitlines()[-1])
    return record["seconds"] / case.size * 1e6, record


def import_ms(python: Path, side: str) -> float:
    """Wall time of importing the pieces a team needs, in a fresh process."""
    out = run([str(python), "-c", TIME_IMPORT.format(IMPORTS[side])], f"{side} import")
    return float(out.strip()) * 1e3


def check_same_work(case: Case, records: dict[str, dict[str, Any]]) -> None:
    """Both sides must have produced the same messages, tool results and model calls."""
    expected = case.expected()
    for side, record in records.items():
        if record["counts"] != expected:
            raise CompareError(
                f"{side} did different work for {case}: counted {record['counts']}, expected {expected}; "
                "the workloads are no longer equivalent, so a ratio would mean nothing"
            )


def measure_all(
    sides: dict[str, Path], cases: list[Case], repeats: int
) -> tuple[Samples, dict[str, list[float]], dict[str, dict[str, str]]]:
    """Every case on both sides ``repeats`` times, sides alternating; also import times and versions."""
    per_unit: Samples = {}
    imports: dict[str, list[float]] = {side: [] for side in sides}
    versions: dict[str, dict[str, str]] = {}
    for repeat in range(repeats):
        print(f"repeat {repeat + 1}/{repeats}", file=sys.stderr)
        for case in cases:
            records = {}
            for side, python in sides.items():  # agentnb, AutoGen, agentnb, AutoGen, ...
                value, records[side] = measure(python, side, case)
                per_unit.setdefault((case, side), []).append(value)
                versions[side] = records[side]["versions"]
            check_same_work(case, records)
        for side, python in sides.items():
            imports[side].append(import_ms(python, side))
    return per_unit, imports, versions


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line
        ]
        cpu = names[0] if names else cpu
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def table(rows: list[tuple[str, float, float, str]], repeats: int) -> list[str]:
    lines = [
        f"| measure (median of {repeats} fresh-process runs) | agentnb | AutoGen | AutoGen / agentnb |",
        "|---|---:|---:|---:|",
    ]
    for label, ours, theirs, unit in rows:
        lines.append(f"| {label} | {ours:,.1f} {unit} | {theirs:,.1f} {unit} | {theirs / ours:.1f}x |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh-process runs per side and row (5)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 3_000], help="round-robin N")
    parser.add_argument("--round-trips", type=int, default=1_000, help="tool calls K per tool-loop run")
    parser.add_argument(
        "--venv", type=Path, default=default_venv(), help="AutoGen's virtualenv (%(default)s)"
    )
    parser.add_argument("--refresh", action="store_true", help="reinstall the newest AutoGen first")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 repeat, N=30, K=30")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.sizes, args.round_trips = 1, [30], 30
    if args.repeats < 1 or args.round_trips < 1 or min(args.sizes) < 1:
        parser.error("--repeats, --sizes and --round-trips must be positive integers")

    cases = [Case("round_robin", n) for n in args.sizes]
    cases += [Case(workload, args.round_trips) for workload in ("tool_loop_async", "tool_loop_thread")]
    try:
        autogen = ensure_autogen(args.venv.expanduser(), args.refresh)
        sides = {"agentnb": Path(sys.executable), "autogen": autogen}
        per_unit, imports, versions = measure_all(sides, cases, args.repeats)
    except CompareError as exc:
        sys.exit(f"compare_autogen.py: {exc}")

    rows = []
    for case in cases:
        ours, theirs = (statistics.median(per_unit[(case, side)]) for side in sides)
        rows.append((LABELS[case.workload].format(size=case.size), ours, theirs, "us"))
    ours, theirs = (statistics.median(imports[side]) for side in sides)
    rows.append(("import Agent/Team vs AssistantAgent/RoundRobinGroupChat", ours, theirs, "ms"))
    print(f"Date: {datetime.date.today().isoformat()}  ")
    print(f"Machine: {machine()}  ")
    print(f"Python {platform.python_version()}  ")
    for side, packages in versions.items():
        print(f"{side} side: " + ", ".join(f"{name} {v}" for name, v in packages.items()) + "  ")
    print()
    print("\n".join(table(rows, args.repeats)))


if __name__ == "__main__":
    main()
