"""The Ray backend: cases run as Ray tasks on a local instance, and the report is the one run in process.

One local Ray instance (127.0.0.1, 2 CPUs, its files in a temporary folder, $HOME pointed at
an empty folder) serves the module; the last test closes it and checks nothing is left.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import psutil
import pytest
from pydantic import BaseModel
from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import EqualsExpected, ToolCorrectness

from agentnb import Agent, Team
from agentnb.core.result import TeamResult
from agentnb.evals import CaseJob, LocalBackend, SpeakerOrder, evaluate_sync
from agentnb.models import FunctionModel, ScriptedModel
from tests.conftest import require

from .conftest import homework

HAS_RAY = find_spec("ray") is not None
SUMS = Dataset(
    name="sums",
    cases=[
        Case(name="add", inputs="What is 17 + 25?", expected_output="CORRECT"),
        Case(name="times", inputs="What is 6 * 7?", expected_output="CORRECT"),
    ],
    evaluators=[EqualsExpected(), ToolCorrectness(["calculate"]), SpeakerOrder(["solver", "checker"])],
)


def sloppy(seed: int = 0) -> Team:
    """The homework team whose solver skips the calculator (and errs) half the time, by seed."""
    return homework(seed, skip=0.5)


def where(seed: int = 0) -> Agent:
    """An agent that answers with the id of the process it runs in."""
    return Agent("where", model=FunctionModel(lambda request: str(os.getpid())))


class Answer(BaseModel):
    value: int


def answerer() -> Agent:
    return Agent("solver", output_type=Answer, model=ScriptedModel({"solver": [{"json": {"value": 42}}]}))


def broken() -> Team:
    return Team([Agent("a")], model=FunctionModel(lambda request: 1 / 0), name="broken")


def crashing() -> Team:
    return Team([Agent("a")], model=FunctionModel(lambda request: os._exit(3)), name="crashing")


def one(inputs: str = "What is 17 + 25?", evaluators=(), **case) -> Dataset:
    return Dataset(name="one", cases=[Case(name="c", inputs=inputs, **case)], evaluators=list(evaluators))


def failures(report) -> list[str]:
    return [f.error_message for f in report.report.failures]


@dataclass
class Before:
    """What was there before Ray started: $HOME (an empty folder), our child processes, /tmp/ray."""

    home: Path
    children: set[int]
    ray_default: bool


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A local Ray instance for the module, started with $HOME pointed at an empty folder."""
    require(HAS_RAY, "ray (pip install 'agentnb[ray]')")
    from agentnb.evals.ray_backend import RayBackend

    before = Before(
        home=tmp_path_factory.mktemp("home"),
        children={p.pid for p in psutil.Process().children(recursive=True)},
        ray_default=(Path(tempfile.gettempdir()) / "ray").exists(),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(before.home))
        patch.delenv("RAY_ADDRESS", raising=False)
        backend = RayBackend(num_cpus=2).start()
        try:
            yield backend, before
        finally:
            backend.close()


# ----- without a cluster ------------------------------------------------------------------------


def test_without_ray_the_error_says_what_to_install(monkeypatch):
    from agentnb.evals.ray_backend import RayBackend

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r'pip install "agentnb\[ray\]"'):
        RayBackend()


def test_a_backend_may_prepare_before_the_first_run():
    class Preparing(LocalBackend):
        def __init__(self) -> None:
            self.log: list[str] = []

        def prepare(self, subject) -> None:
            self.log.append(f"prepare {subject.__name__}")

        async def run(self, job: CaseJob) -> TeamResult:
            self.log.append("run")
            return await super().run(job)

    backend = Preparing()
    evaluate_sync(homework, one(), repeat=2, backend=backend, progress=False)
    assert backend.log == ["prepare homework", "run", "run"]


def test_a_factory_that_cannot_be_pickled_is_refused_before_ray_starts():
    require(HAS_RAY, "ray (pip install 'agentnb[ray]')")
    from agentnb.evals.ray_backend import RayBackend

    lock = threading.Lock()

    def build() -> Team:
        with lock:
            return homework()

    backend = RayBackend()
    with pytest.raises(TypeError, match=r"'build'.*its variable 'lock'.*module-level function") as error:
        evaluate_sync(build, one(), backend=backend)
    assert "cannot be sent to Ray workers" in str(error.value)
    assert not backend.started


def test_an_unreachable_cluster_is_named_at_once():
    require(HAS_RAY, "ray (pip install 'agentnb[ray]')")
    from agentnb.evals.ray_backend import RayBackend, RayBackendError

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    backend = RayBackend(f"127.0.0.1:{port}")
    with pytest.raises(RayBackendError, match=f"cannot reach the Ray cluster at '127.0.0.1:{port}'"):
        backend.start()
    assert not backend.started


def test_bad_options_are_refused():
    require(HAS_RAY, "ray (pip install 'agentnb[ray]')")
    from agentnb.evals.ray_backend import RayBackend

    with pytest.raises(ValueError, match="num_cpus sizes a local instance"):
        RayBackend("head:6379", num_cpus=4)
    with pytest.raises(ValueError, match="max_concurrency must be a whole number"):
        RayBackend(max_concurrency=0)


# ----- on the local instance ----------------------------------------------------------------------


def test_the_report_is_the_one_run_in_process(cluster):
    backend, _ = cluster
    on_ray = evaluate_sync(sloppy, SUMS, repeat=4, backend=backend, progress=False)
    here = evaluate_sync(sloppy, SUMS, repeat=4, progress=False)
    assert 0 < on_ray.pass_rate.passed < on_ray.pass_rate.runs == 8  # the seeds reached the workers
    assert on_ray.text() == here.text()
    assert [r.attributes["agentnb.seed"] for r in on_ray.case("add").runs] == [0, 1, 2, 3]


def test_span_evaluators_read_runs_made_on_ray(cluster):
    backend, _ = cluster
    report = evaluate_sync(homework, one(), evaluators=[ToolCorrectness(["calculate"])], backend=backend)
    ran = report.case("c").runs[0].assertions["ToolCorrectness"]
    assert ran.value is True
    assert report.total.assertions["ToolCorrectness"].passed == 5


def test_each_case_runs_in_a_ray_worker(cluster):
    backend, _ = cluster
    report = evaluate_sync(where, one("where are you?"), repeat=3, backend=backend, progress=False)
    pids = {int(report.result("c", n).final) for n in (1, 2, 3)}
    assert os.getpid() not in pids
    assert all(psutil.pid_exists(pid) for pid in pids)  # Ray keeps its workers for the next cases


def test_a_structured_output_survives_the_trip(cluster):
    backend, _ = cluster
    report = evaluate_sync(
        answerer,
        one(evaluators=[EqualsExpected()], expected_output=Answer(value=42)),
        repeat=1,
        backend=backend,
    )
    assert report.pass_rate.passed == 1
    assert report.result("c").output == Answer(value=42)


def test_max_concurrency_bounds_the_cases_in_flight(cluster):
    from agentnb.evals.ray_backend import RayBackend

    class Counting(RayBackend):
        now = most = 0

        async def run(self, job: CaseJob) -> TeamResult:
            self.now += 1
            self.most = max(self.most, self.now)
            try:
                return await super().run(job)
            finally:
                self.now -= 1

    one_at_a_time = Counting(max_concurrency=1)
    report = evaluate_sync(sloppy, SUMS, repeat=3, backend=one_at_a_time, progress=False)
    assert one_at_a_time.most == 1 and report.pass_rate.runs == 6
    two = Counting(max_concurrency=1)
    evaluate_sync(sloppy, SUMS, repeat=3, backend=two, max_concurrency=2, progress=False)
    assert two.most == 2  # evaluate's argument wins over the backend's


def test_a_run_that_fails_fails_its_case_as_in_process(cluster):
    backend, _ = cluster
    on_ray = evaluate_sync(broken, one(), repeat=2, backend=backend, progress=False)
    here = evaluate_sync(broken, one(), repeat=2, progress=False)
    assert failures(on_ray) == failures(here) and "division by zero" in failures(on_ray)[0]
    assert on_ray.text() == here.text()


def test_a_worker_that_dies_is_reported_as_such(cluster):
    from agentnb.evals.ray_backend import RayBackend

    backend = RayBackend(options={"max_retries": 0})
    report = evaluate_sync(crashing, one(), repeat=1, backend=backend, progress=False)
    (message,) = failures(report)
    assert message.startswith("RayBackendError: the Ray worker running a case (seed 0) died")


def test_code_the_workers_cannot_import_says_how_to_ship_it(cluster, tmp_path, monkeypatch):
    from agentnb.evals.ray_backend import RayBackend

    (tmp_path / "shipped_team.py").write_text(
        "from tests.evals.conftest import homework\n\n\ndef build():\n    return homework()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))  # here only: the workers started with another path
    import shipped_team

    report = evaluate_sync(shipped_team.build, one(), repeat=1, backend=RayBackend(), progress=False)
    (message,) = failures(report)
    assert "No module named 'shipped_team'" in message and '"working_dir": "."' in message


def test_closing_stops_every_process_and_leaves_nothing_behind(cluster):
    backend, before = cluster
    temp_dir = Path(backend.temp_dir)
    assert temp_dir.is_relative_to(tempfile.gettempdir())
    spawned = [p for p in psutil.Process().children(recursive=True) if p.pid not in before.children]
    assert spawned  # Ray's own processes and its workers
    backend.close()
    deadline = time.monotonic() + 60
    while (alive := [p for p in spawned if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive == []
    assert not temp_dir.exists()
    assert list(before.home.iterdir()) == []
    assert (Path(tempfile.gettempdir()) / "ray").exists() == before.ray_default
    backend.close()  # twice is harmless


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
