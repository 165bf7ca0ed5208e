"""A pool worker killed mid-build (by an operator, or by the kernel short of memory) is
not a bug of ours: the command says so, exits 5 rather than 70, and leaves the published
files and the state store as they were, so that the next run builds them whole. Real
processes: the command line's own entry point, with one worker killing itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import write_corpus
from test_build import CONFIG, all_files, build

ROOT = Path(__file__).resolve().parent.parent

# The command run as the console script runs it, with the parse (or the check) of one
# issue file killing the worker process that does it (never the build's own process).
KILLING = """
import os, signal, sys
from feeds import loader, parser
parent = os.getpid()
victim = sys.argv.pop(1)
loader.PARALLEL_MIN_FILES = 2
parse = parser.parse_issue

def parse_or_die(data, name, *args, **kwargs):
    if os.getpid() != parent and str(name).endswith(victim):
        os.kill(os.getpid(), signal.SIGKILL)
    return parse(data, name, *args, **kwargs)

parser.parse_issue = parse_or_die
from feeds.__main__ import entry
entry()
"""

MESSAGE = ("feeds: error: a worker process died before its work was done (killed by a "
           "signal, or by the system when short of memory); nothing was published or saved: "
           "run the command again\n")


def _run(root: Path, victim: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", KILLING, victim, *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


def corpus_project(root: Path) -> Path:
    """24 issues of the corpus, no item limit: enough for a pool of workers."""
    (root / "issues").mkdir(parents=True)
    (root / "feeds.toml").write_text(CONFIG + "max_items = 0\n", encoding="utf-8")
    write_corpus(24, root / "issues")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return corpus_project(tmp_path / "site")


def _state(root: Path) -> bytes:
    return (root / ".feeds" / "state.sqlite").read_bytes()


@pytest.mark.parametrize("earlier", [False, True], ids=["cold", "after-a-build"])
def test_a_killed_worker_is_exit_5_and_changes_nothing(project: Path, earlier: bool) -> None:
    victims = sorted(p.name for p in (project / "issues").iterdir())
    if earlier:
        assert build(project, "--quiet")[0] == 0
        before, state = all_files(project / "output"), _state(project)
        for name in victims:  # every file edited: every one parsed again, in the pool
            path = project / "issues" / name
            path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    done = _run(project, victims[len(victims) // 2], "build", "--quiet")
    assert (done.returncode, done.stdout, done.stderr) == (5, "", MESSAGE)
    if earlier:
        assert all_files(project / "output") == before
        assert _state(project) == state
    else:
        assert not (project / "output").exists() or all_files(project / "output") == {}
    code, _, err = build(project, "--quiet")
    assert code == 0, err
    again = all_files(project / "output")
    assert "atom.xml" in again and "rss.xml" in again


def test_a_killed_worker_in_check_is_exit_5(project: Path) -> None:
    victim = sorted(p.name for p in (project / "issues").iterdir())[3]
    done = _run(project, victim, "check")
    assert (done.returncode, done.stderr.splitlines()[-1:]) == (5, [MESSAGE.rstrip("\n")])
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
