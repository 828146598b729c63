"""``agentnb lab``: the course (lessons and classroom demos) in JupyterLab, in a folder students may edit.

Installed from a wheel, the notebooks live inside the package (``agentnb/lessons``,
``agentnb/notebooks``); they are copied into a folder of the student's own first, so an edit
never touches the installed package. A copy only adds what is missing: a file that is already
there is never overwritten, so running ``agentnb lab`` again keeps a student's work (and names
the files that differ from this version of agentnb). In a source checkout the notebooks are
already the student's own: JupyterLab opens the checkout itself unless ``--dir`` asks for a copy.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from agentnb.core.errors import AgentnbError
from agentnb.core.words import plural

COURSE_FOLDERS = ("lessons", "notebooks")  # the lessons, and the classroom demos
DEFAULT_DIR = "agentnb-course"  # where an installed course is copied, in the current folder
SKIPPED = ("__pycache__", ".ipynb_checkpoints", "__init__.py")
ALLOW_ROOT = "--ServerApp.allow_root=True"


class LabError(AgentnbError):
    """The course cannot be found, copied or opened; the message says what to do."""


@dataclass(frozen=True)
class Course:
    """Where the course notebooks are: the folder holding ``lessons/`` and ``notebooks/``.

    ``packaged`` is True inside an installed package (read-only for students), False in a
    source checkout.
    """

    root: Path
    packaged: bool


@dataclass
class CopyReport:
    """What a copy did: files added, files left alone because the student's copy differs."""

    target: Path
    added: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """One or two lines for the terminal."""
        lines = [
            f"copied {plural(len(self.added), 'course file')} into {self.target}"
            if self.added
            else f"the course is already in {self.target}"
        ]
        if self.kept:
            names = ", ".join(path.as_posix() for path in self.kept[:5])
            more = f" and {len(self.kept) - 5} more" if len(self.kept) > 5 else ""
            lines.append(
                f"kept your copies of {names}{more}: they differ from this version of agentnb; "
                "to get the new version, rename or delete your copy and run agentnb lab again"
            )
        return "\n".join(lines)


def find_course(package: Path | None = None) -> Course:
    """The course shipped inside the package, else the one in the source checkout around it."""
    package = package or Path(__file__).resolve().parent.parent  # agentnb/, not agentnb/apps/
    if all((package / folder).is_dir() for folder in COURSE_FOLDERS):
        return Course(package, packaged=True)
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and all((checkout / f).is_dir() for f in COURSE_FOLDERS):
        return Course(checkout, packaged=False)
    raise LabError(
        f"the course notebooks are missing from this installation of agentnb ({package}); "
        "reinstall it with: pip install --force-reinstall agentnb"
    )


def course_files(root: Path) -> list[Path]:
    """Every course file under ``root``, relative to it, in a stable order."""
    found = []
    for folder in COURSE_FOLDERS:
        for path in (root / folder).rglob("*"):
            relative = path.relative_to(root)
            if path.is_file() and not any(
                part in SKIPPED or part.endswith(".pyc") for part in relative.parts
            ):
                found.append(relative)
    return sorted(found)


def copy_course(source: Path, target: Path) -> CopyReport:
    """Copy the course files from ``source`` that ``target`` lacks; never overwrite a file.

    Only the contents are copied, not the permissions: files from a read-only install
    become files the student can edit.
    """
    if target.exists() and not target.is_dir():
        raise LabError(f"--dir {target}: that is a file, not a folder; choose a folder for the course")
    report = CopyReport(target)
    try:
        for relative in course_files(source):
            original, copy = source / relative, target / relative
            if copy.exists():
                if copy.read_bytes() != original.read_bytes():
                    report.kept.append(relative)
                continue
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(original, copy)
            report.added.append(relative)
    except OSError as exc:
        raise LabError(
            f"cannot copy the course into {target}: {exc.strerror or exc}; choose a folder you can "
            "write to with --dir"
        ) from None
    return report


def prepare(folder: str | None, course: Course | None = None, *, cwd: Path | None = None) -> tuple[Path, str]:
    """The folder JupyterLab should open, and what was done to get it ready (for the terminal).

    With ``folder``, the course is copied there; without it, a packaged course is copied to
    ``agentnb-course`` in the current folder and a checkout's course is opened where it is.
    """
    course = course or find_course()
    if folder is None and not course.packaged:
        return course.root, f"opening the course in the source checkout {course.root}"
    target = Path(folder).expanduser() if folder is not None else Path(DEFAULT_DIR)
    target = ((cwd or Path.cwd()) / target).resolve()
    return target, copy_course(course.root, target).summary()


def jupyterlab_command(
    root: Path,
    *,
    port: int | None = None,
    browser: bool = True,
    as_root: bool = False,
    extra: list[str] | None = None,
) -> list[str]:
    """The command that starts this Python's JupyterLab on ``root``, opened at the lessons.

    ``as_root`` allows the server to run as root (JupyterLab refuses to otherwise):
    containers and classroom machines often give students a root shell.
    """
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.default_url=/lab/tree/{COURSE_FOLDERS[0]}",
    ]
    if port is not None:
        command.append(f"--ServerApp.port={port}")
    if not browser:
        command.append("--ServerApp.open_browser=False")
    if as_root:
        command.append(ALLOW_ROOT)
    return command + list(extra or ())


def running_as_root() -> bool:
    """True for the superuser on systems that have one (not on Windows)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0
