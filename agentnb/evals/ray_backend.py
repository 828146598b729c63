"""Run an eval's cases on Ray: ``evaluate(build, dataset, backend=RayBackend())``.

When an eval outgrows one machine (thousands of cases, repeats, a local model per worker),
each case runs as a Ray task on a cluster. The worker builds the team from the factory,
runs it and sends the run back as JSON (its events round-trip; a structured output travels
beside them); the calling process then emits the run's spans under the case, so
pydantic-evals' span evaluators, agentnb's evaluators and the report work as they do in
process, with identical results for deterministic models. Repeats get their seeds and
``max_concurrency`` bounds the cases in flight as with the default backend.

``RayBackend()`` starts a private local instance (127.0.0.1, no dashboard, its files in a
fresh temporary folder) and shuts it down on `close` (or at exit); on 2 cores that only adds
overhead. ``RayBackend(address)`` connects to a running cluster and leaves it running.

On a real cluster:

1. Start it (``ray start --head`` on the head node, ``ray start --address=<head>:6379`` on
   the others; or KubeRay, or the cluster launcher). The driver's Python and Ray versions
   must match the cluster's.
2. Give the workers agentnb and your team's code: install them in the cluster's image, or
   ship them, ``RayBackend(..., runtime_env={"working_dir": ".", "pip": ["agentnb[evals]"]})``
   (``"env_vars"`` for API keys and ``AGENTNB_MODEL``). The factory must be a module-level
   function (or a class) in that code, or a function whose closure can be pickled.
3. Run the eval from a node of the cluster, ``RayBackend("<head>:6379")``; from outside it,
   ``RayBackend("ray://<head>:10001")`` (Ray Client); or as a job
   (``ray job submit --working-dir . -- python my_eval.py``) with ``RayBackend("auto")``.
   Pass ``max_concurrency`` (how many cases in flight; evaluate's default is 10) and
   ``options`` for each case's Ray task: ``{"num_gpus": 1}`` for a local model on a GPU,
   ``{"num_cpus": 0.25}`` for teams that mostly wait for a remote model.

Each case gets its own copy of the factory: state in its closure (a recording model, a
scripted model, a counter) lives and dies per case in a worker, never shared. Record
cassettes in process; a replay cassette works where the workers can read its file.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Mapping
from typing import Any

from agentnb.core.agent import Agent
from agentnb.core.result import TeamResult
from agentnb.core.team import Team
from agentnb.evals.task import CaseJob

INSTALL_HINT = 'RayBackend needs Ray: pip install "agentnb[ray]"'
PROBE_SECONDS = 5.0  # Ray itself retries an unreachable cluster for ever


class RayBackendError(RuntimeError):
    """Ray could not start, could not be reached, or lost the worker running a case."""


def import_ray() -> Any:
    """The ``ray`` module, or an error that says what to install."""
    try:
        import ray
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    return ray


def run_case(subject: Any, task: Any, seed: int) -> tuple[str, Any]:
    """In a Ray worker: run one case; its events as JSON, and the structured output beside them."""
    result = asyncio.run(CaseJob(subject, task, seed)())
    return result.to_json(), result.output


class RayBackend:
    """Runs each case of an eval as a Ray task (see the module docstring).

    ``address``: a running cluster (``"host:6379"``, ``"ray://host:10001"``, ``"auto"``); None
    starts a local instance with ``num_cpus`` CPUs. ``max_concurrency``: cases in flight (None:
    evaluate's). ``runtime_env``: Ray's runtime environment for the workers; ``init_kwargs``:
    more arguments for ``ray.init``; ``options``: Ray task options for each case
    (``num_cpus``, ``num_gpus``, ``max_retries``, ...). A Ray already initialized in this
    process is used as it is, and left alone.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        max_concurrency: int | None = None,
        runtime_env: Mapping[str, Any] | None = None,
        init_kwargs: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        import_ray()
        if address is not None and num_cpus is not None:
            raise ValueError(
                f"RayBackend: num_cpus sizes a local instance; the cluster at {address!r} has its own CPUs"
            )
        if max_concurrency is not None and (
            not isinstance(max_concurrency, int) or isinstance(max_concurrency, bool) or max_concurrency < 1
        ):
            raise ValueError(
                f"RayBackend: max_concurrency must be a whole number >= 1, got {max_concurrency!r}"
            )
        self.address = None if address == "local" else address
        self.num_cpus = num_cpus
        self.max_concurrency = max_concurrency
        self.runtime_env = dict(runtime_env) if runtime_env else None
        self.init_kwargs = dict(init_kwargs or {})
        self.options = dict(options or {})
        self.temp_dir: str | None = None  # the local instance's folder, when this backend made it
        self._owner = False  # whether close() shuts Ray down (a local instance, or a connection made here)
        self._remote: Any = None
        self._shipped: tuple[Any, Any] | None = None  # (subject, its ObjectRef): sent once per eval
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._remote is not None

    def __repr__(self) -> str:
        where = repr(self.address) if self.address else f"local, num_cpus={self.num_cpus}"
        return f"RayBackend({where}, max_concurrency={self.max_concurrency})"

    def __enter__(self) -> RayBackend:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def prepare(self, subject: Any) -> None:
        """Before the first run: refuse a subject that cannot travel, then start or connect."""
        check_picklable(subject)
        self.start()

    def start(self) -> RayBackend:
        """Start the local instance or connect to the cluster (once; later calls do nothing)."""
        with self._lock:
            if self._remote is not None:
                return self
            ray = import_ray()
            if self.address is not None:
                probe(self.address)
            if ray.is_initialized():
                self._use_existing(ray)
            elif self.address is not None:
                self._connect(ray)
            else:
                self._start_local(ray)
            self._remote = ray.remote(run_case)
        return self

    def close(self) -> None:
        """Shut down the local instance (or the connection) this backend made; anything else stays."""
        with self._lock:
            atexit.unregister(self.close)
            if self._owner:
                import_ray().shutdown()
            if self.temp_dir is not None:
                shutil.rmtree(self.temp_dir, ignore_errors=True)
            self._owner, self.temp_dir, self._remote, self._shipped = False, None, None, None

    async def run(self, job: CaseJob) -> TeamResult:
        """Run ``job`` in a Ray task and rebuild its `TeamResult` here."""
        ray = import_ray()
        from ray.exceptions import RayError, RayTaskError

        self.start()
        remote = self._remote.options(**self.options) if self.options else self._remote
        ref = remote.remote(self._ship(job.subject), job.task, job.seed)
        try:
            text, output = await asyncio.wrap_future(ref.future())
        except asyncio.CancelledError:
            ray.cancel(ref)
            raise
        except RayTaskError as error:
            raise worker_error(error) from None
        except RayError as error:
            if missing_module(error):  # the arguments themselves could not be unpickled there
                raise worker_error(error) from None
            raise RayBackendError(
                f"the Ray worker running a case (seed {job.seed}) died before it finished "
                f"({type(error).__name__}: {first_line(error)}); running out of memory, a crash in native "
                "code (a local model?) or an exit in the team's code are the usual causes: Ray's "
                "python-core-worker-*.log files say which"
            ) from None
        result = TeamResult.from_json(text)
        result.output = output
        return result

    def _ship(self, subject: Any) -> Any:
        """The subject in Ray's object store, put once and shared by every case that builds from it."""
        shipped = self._shipped
        if shipped is None or shipped[0] is not subject:
            shipped = self._shipped = (subject, import_ray().put(subject))
        return shipped[1]

    def _use_existing(self, ray: Any) -> None:
        here = ray.get_runtime_context().gcs_address
        if self.address is not None and self.address not in ("auto", here):
            raise RayBackendError(
                f"Ray in this process is already connected to {here}, not {self.address!r}; one process "
                "talks to one cluster: call ray.shutdown() first, or use RayBackend() to run on that one"
            )
        if self.runtime_env:
            raise RayBackendError(
                "Ray was already initialized in this process, so RayBackend cannot set its runtime_env: "
                "pass runtime_env to your own ray.init(...)"
            )

    def _connect(self, ray: Any) -> None:
        try:
            ray.init(address=self.address, runtime_env=self.runtime_env, **self.init_kwargs)
        except Exception as error:
            raise RayBackendError(
                f"could not connect to the Ray cluster at {self.address!r}: {first_line(error)}"
            ) from None
        self._owner = True
        atexit.register(self.close)

    def _start_local(self, ray: Any) -> None:
        own_dir = "_temp_dir" not in self.init_kwargs
        temp_dir = tempfile.mkdtemp(prefix="agentnb-ray-") if own_dir else self.init_kwargs["_temp_dir"]
        # Ray >= 2.5x turns on token authentication for a new local instance and, lacking a
        # token, writes one to ~/.ray/auth_token; a token in the environment keeps $HOME clean.
        if not (os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")):
            os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(16)
        settings = {
            "address": "local",  # a new instance, even when RAY_ADDRESS names a cluster
            "num_cpus": self.num_cpus,
            "include_dashboard": False,
            "_node_ip_address": "127.0.0.1",
            "_temp_dir": temp_dir,
            "runtime_env": self.runtime_env,
            **self.init_kwargs,
        }
        try:
            ray.init(**settings)
        except Exception as error:
            ray.shutdown()
            raise RayBackendError(
                f"could not start a local Ray instance: {first_line(error)}; its logs are in {temp_dir} "
                "(on a busy machine Ray's processes can be too slow to start: try again)"
            ) from None
        self._owner = True
        self.temp_dir = temp_dir if own_dir else None
        atexit.register(self.close)


def probe(address: str) -> None:
    """Fail fast, with the address, when nothing answers there (Ray would retry for ever)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not port.isdigit() or not host:
        return  # "auto" and the like: Ray finds the cluster itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_SECONDS).close()
    except OSError as error:
        raise RayBackendError(
            f"cannot reach the Ray cluster at {address!r}: {error.strerror or error}. Is it running "
            "(`ray start --head` prints its address)? Clients outside the cluster use ray://<head>:10001"
        ) from None


def worker_error(error: Any) -> BaseException:
    """What to raise for a case that raised in its worker: the team's own error, as in process."""
    cause = getattr(error, "cause", None)
    missing = cause if isinstance(cause, ImportError) else missing_module(error)
    if missing:
        return RayBackendError(
            f"a Ray worker could not import what the case needs: {missing}. Install it on the cluster, or "
            'ship it: RayBackend(..., runtime_env={"working_dir": ".", "pip": ["agentnb[evals]"]})'
        )
    if isinstance(cause, BaseException):
        return cause
    return RayBackendError(first_line(error))


def missing_module(error: BaseException) -> str:
    """ "No module named ..." when a worker failed to unpickle a case for want of a module, else ''."""
    found = re.search(r"No module named '[^']+'", str(error))
    return found.group(0) if found else ""


def check_picklable(subject: Any) -> None:
    """Refuse a subject Ray cannot send to its workers, naming what failed and the fix."""
    from ray import cloudpickle

    try:
        cloudpickle.dumps(subject)
    except Exception as error:
        raise TypeError(
            f"RayBackend: {describe(subject)} cannot be sent to Ray workers{culprit(subject)}: {error}. "
            "Pass a module-level function (or a class) that builds the team, and create what cannot "
            "travel (clients, locks, open files) inside it: each worker then builds its own"
        ) from None


def culprit(subject: Any) -> str:
    """The closure variable or global of a function subject that does not pickle, if one is found."""
    from ray import cloudpickle

    code = getattr(subject, "__code__", None)
    if code is None:
        return ""
    found: dict[str, Any] = {}
    for name, cell in zip(code.co_freevars, getattr(subject, "__closure__", None) or (), strict=False):
        try:
            found[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    names = getattr(subject, "__globals__", {})
    found.update({name: names[name] for name in code.co_names if name in names})
    for name, value in found.items():
        try:
            cloudpickle.dumps(value)
        except Exception:
            return f" (its variable {name!r}, a {type(value).__name__}, does not pickle)"
    return ""


def describe(subject: Any) -> str:
    if isinstance(subject, Team):
        return f"the team {subject.name!r}"
    if isinstance(subject, Agent):
        return f"the agent {subject.name!r}"
    return f"the team factory {getattr(subject, '__name__', repr(subject))!r}"


def first_line(error: BaseException) -> str:
    """The first line of an error's message, without its full stop (messages go on after it)."""
    text = str(error).strip()
    return text.splitlines()[0].rstrip(".") if text else type(error).__name__
