"""`agentnb lab`: the course is copied into a folder of the student's own, edits are never
overwritten, and JupyterLab really starts there, opened at the lessons.

The server test runs the real command in a subprocess (from a temp folder, so in CI it is the
installed wheel's agentnb that copies its packaged notebooks), with a temp home, on 127.0.0.1,
and stops it by its PID: ``agentnb lab`` execs JupyterLab, so the PID is the server's.
"""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from importlib.util import find_spec
from pathlib import Path

import pytest

from agentnb.apps import cli
from agentnb.apps.lab import COURSE_FOLDERS, Course, LabError, copy_course, course_files, find_course, prepare
from tests.browser.test_jupyterlab import free_port, private_home
from tests.conftest import require
from tests.nbtools import ROOT, offline_env

SERVER_START_TIMEOUT = 90  # seconds; ~3 s on a warm machine


def a_course(root: Path) -> Path:
    """A small packaged-like course: two lessons (one with a solution), a demo with data."""
    files = {
        "lessons/01_first.ipynb": "{}",
        "lessons/solutions/01_first.ipynb": "{}",
        "notebooks/demo.ipynb": "{}",
        "notebooks/data/rain.csv": "month,mm\n",
        "notebooks/__pycache__/x.pyc": "",
        "lessons/.ipynb_checkpoints/01_first-checkpoint.ipynb": "{}",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_course_files_are_the_notebooks_and_their_data_not_caches(tmp_path: Path) -> None:
    names = [path.as_posix() for path in course_files(a_course(tmp_path))]
    assert names == [
        "lessons/01_first.ipynb",
        "lessons/solutions/01_first.ipynb",
        "notebooks/data/rain.csv",
        "notebooks/demo.ipynb",
    ]


def test_a_copy_adds_every_course_file_and_the_copies_are_writable(tmp_path: Path) -> None:
    source = a_course(tmp_path / "package")
    for path in source.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP)  # an install students cannot write to
    report = copy_course(source, tmp_path / "mine")
    assert [p.as_posix() for p in report.added] == [p.as_posix() for p in course_files(source)]
    copy = tmp_path / "mine" / "lessons" / "01_first.ipynb"
    assert copy.read_text() == "{}"
    copy.write_text('{"cells": []}')  # would raise if the permissions had been copied
    assert "copied 4 course files into" in report.summary()


def test_a_second_copy_keeps_an_edited_lesson_and_brings_back_a_deleted_one(tmp_path: Path) -> None:
    source = a_course(tmp_path / "package")
    target = tmp_path / "mine"
    copy_course(source, target)
    edited = target / "lessons" / "01_first.ipynb"
    edited.write_text('{"my": "work"}')
    (target / "notebooks" / "demo.ipynb").unlink()

    report = copy_course(source, target)

    assert edited.read_text() == '{"my": "work"}'
    assert [p.as_posix() for p in report.added] == ["notebooks/demo.ipynb"]
    assert report.summary().startswith(f"copied 1 course file into {target}\n")
    assert [p.as_posix() for p in report.kept] == ["lessons/01_first.ipynb"]
    assert "kept your copies of lessons/01_first.ipynb" in report.summary()
    assert "rename or delete your copy" in report.summary()


def test_an_unchanged_course_is_reported_as_already_there(tmp_path: Path) -> None:
    source = a_course(tmp_path / "package")
    copy_course(source, tmp_path / "mine")
    report = copy_course(source, tmp_path / "mine")
    assert report.added == [] and report.kept == []
    assert report.summary() == f"the course is already in {tmp_path / 'mine'}"


def test_a_file_given_as_the_folder_is_refused_with_what_to_do(tmp_path: Path) -> None:
    source = a_course(tmp_path / "package")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(LabError, match=r"notes.txt: that is a file, not a folder; choose a folder"):
        copy_course(source, tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_the_packaged_course_comes_before_a_checkout_around_it(tmp_path: Path) -> None:
    checkout = a_course(tmp_path)
    (checkout / "pyproject.toml").write_text("")
    package = checkout / "agentnb"
    package.mkdir()
    assert find_course(package) == Course(checkout, packaged=False)
    a_course(package)
    assert find_course(package) == Course(package, packaged=True)


def test_a_missing_course_says_to_reinstall(tmp_path: Path) -> None:
    (tmp_path / "agentnb").mkdir()
    with pytest.raises(LabError, match="pip install --force-reinstall agentnb"):
        find_course(tmp_path / "agentnb")


def test_an_installed_course_is_copied_to_a_default_folder_a_checkout_opens_in_place(tmp_path: Path) -> None:
    packaged = Course(a_course(tmp_path / "site-packages" / "agentnb"), packaged=True)
    root, done = prepare(None, packaged, cwd=tmp_path)
    assert root == tmp_path / "agentnb-course"
    assert (root / "lessons" / "01_first.ipynb").is_file()
    assert done.startswith(f"copied 4 course files into {root}")

    checkout = Course(a_course(tmp_path / "checkout"), packaged=False)
    assert prepare(None, checkout, cwd=tmp_path)[0] == checkout.root
    copied, _ = prepare("class", checkout, cwd=tmp_path)  # --dir copies a checkout too
    assert copied == tmp_path / "class" and (copied / "notebooks" / "demo.ipynb").is_file()


def test_this_checkout_ships_its_lessons_and_demos() -> None:
    course = find_course()
    names = {path.as_posix() for path in course_files(course.root)}
    assert {"lessons/01_first_team.ipynb", "notebooks/newsroom.ipynb"} <= names
    assert all(name.split("/")[0] in COURSE_FOLDERS for name in names)


def test_without_jupyterlab_lab_says_what_to_install(monkeypatch, capsys) -> None:
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(cli.os, "execv", lambda *a: pytest.fail("must not start anything"))
    assert cli.main(["lab", "--no-browser"]) == 1
    assert "pip install 'agentnb[course]'" in capsys.readouterr().err


def test_lab_passes_its_options_and_those_after_a_double_dash_to_jupyterlab(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(cli.os, "execv", lambda path, command: started.append(command))
    monkeypatch.setattr(cli, "running_as_root", lambda: False)
    assert (
        cli.main(["lab", "--dir", str(tmp_path / "c"), "--port", "9123", "--no-browser", "--", "--x=1"]) == 0
    )
    [command] = started
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path / 'c'}" in command
    assert "--LabApp.default_url=/lab/tree/lessons" in command
    assert command[-3:] == ["--ServerApp.port=9123", "--ServerApp.open_browser=False", "--x=1"]
    assert "agentnb lab: copied" in capsys.readouterr().out


@pytest.mark.parametrize("given", [[], ["--", "--allow-root"]])
def test_as_root_lab_lets_jupyterlab_run_as_root_and_says_so(
    tmp_path: Path, monkeypatch, capsys, given: list[str]
) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(cli.os, "execv", lambda path, command: started.append(command))
    monkeypatch.setattr(cli, "running_as_root", lambda: True)
    assert cli.main(["lab", "--dir", str(tmp_path / "c"), "--no-browser", *given]) == 0
    [command] = started
    allowed = [word for word in command if "allow-root" in word or "allow_root" in word]
    assert len(allowed) == 1  # once: added by agentnb lab, or given by the student
    said = capsys.readouterr().out
    assert ("JupyterLab is allowed to run as root" in said) == (not given)


def test_lab_help_says_what_happens_as_root(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["lab", "--help"])
    assert "as root" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lab", "--port", "0"], "expected a port number from 1 to 65535, got '0'"),
        (["lab", "--port", "http"], "expected a port number from 1 to 65535, got 'http'"),
        (["demo", "--", "--allow-root"], "options after -- go to JupyterLab: only agentnb lab takes them"),
        (["lab", "--browser"], "unrecognized option --browser: did you mean --no-browser?"),
    ],
)
def test_bad_lab_options_are_usage_errors(args: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        cli.main(args)
    assert exit.value.code == 2
    assert message in capsys.readouterr().err


def test_a_folder_that_is_a_file_ends_lab_with_a_message_not_a_traceback(tmp_path: Path, capsys) -> None:
    (tmp_path / "taken").write_text("")
    assert cli.main(["lab", "--dir", str(tmp_path / "taken"), "--no-browser"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("agentnb: --dir ") and "Traceback" not in err


def test_lab_starts_jupyterlab_on_the_copied_course(tmp_path: Path) -> None:
    require(find_spec("jupyterlab") is not None, "jupyterlab")
    home, course, work = tmp_path / "home", tmp_path / "course", tmp_path / "work"
    work.mkdir()
    env = {**offline_env(), **private_home(home)}
    env.pop("PYTHONPATH", None)  # run the installed agentnb, as a student would
    port = free_port()
    command = [sys.executable, "-m", "agentnb.apps.cli", "lab", "--dir", str(course), "--port", str(port),
               "--no-browser", "--", "--ip=127.0.0.1"]  # fmt: skip  # as root too: agentnb lab allows it
    log = tmp_path / "lab.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        info = _server_info(Path(env["JUPYTER_RUNTIME_DIR"]), server, log)
        assert info["port"] == port and Path(info["root_dir"]) == course
        listed = _get(port, "/api/contents/lessons", info["token"])
        lessons = {item["name"] for item in listed["content"] if item["type"] == "notebook"}
        expected = {path.name for path in (ROOT / "lessons").glob("*.ipynb")}
        assert lessons == expected
        assert _redirect(port, "/") == f"http://127.0.0.1:{port}/lab/tree/lessons"
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
    assert log.read_text().startswith("agentnb lab: copied ")
    assert {p.name for p in (course / "notebooks").glob("*.ipynb")} == {
        p.name for p in (ROOT / "notebooks").glob("*.ipynb")
    }


def _server_info(runtime: Path, server: subprocess.Popen[bytes], log: Path) -> dict:
    """The server's runtime file (port, root, token), once it is up."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"agentnb lab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        for path in runtime.glob("jpserver-*.json"):
            try:
                info = json.loads(path.read_text())
                _get(info["port"], "/api/status", info["token"])
                return info
            except (ValueError, OSError):
                pass
        time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


def _get(port: int, path: str, token: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _redirect(port: int, path: str) -> str:
    """Where the server sends a browser that opens ``path``."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(f"http://127.0.0.1:{port}{path}", timeout=5)
    except urllib.error.HTTPError as exc:
        return urllib.parse.urljoin(f"http://127.0.0.1:{port}{path}", exc.headers["Location"])
    pytest.fail(f"{path} did not redirect")
