"""What every run pays before and after its work: what a build imports, how it ends."""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SEED
from test_build import SECOND, write_project

import feeds.__main__
from feeds.parallel import workers

# Imports the whole `feeds build` process as the console script runs it, then
# writes the names of the modules it ended with.
_RUN = """
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["feeds", "build", "--quiet"]
from feeds.__main__ import main
main()
"""


def _modules_of_a_build(root: Path, tmp_path: Path) -> set[str]:
    names = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _RUN, str(names)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return set(json.loads(names.read_text()))


def test_a_build_that_parses_nothing_imports_no_parser(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"2024-07-20-29.md": SEED.read_bytes(),
                                          "2024-07-27-30.md": SECOND})
    first = _modules_of_a_build(root, tmp_path)
    assert "feeds.loader" in first  # it parsed both issues (a cold build: in its own pool)
    newest = root / "issues" / "2024-07-27-30.md"
    kept = tmp_path / newest.name
    shutil.move(newest, kept)
    _modules_of_a_build(root, tmp_path)
    shutil.move(kept, newest)  # back, as the benchmark's new issue: its parse is stored
    again = _modules_of_a_build(root, tmp_path)
    assert "feeds.webedition" in again and "feeds.formats.atom" in again  # a real build
    assert not {"feeds.parser", "markdown_it", "subprocess"} & again
    assert (root / "output" / "issues" / "2024-30.html").is_file()


# What only other commands (publish, serve, new, websub pings) or a build that changes
# something need: a no-op build imports none of it, a build of one new issue only the
# latter; feedgen writes only what the direct writers decline (feeds.formats.direct).
_OTHER_COMMANDS = {"boto3", "botocore", "feeds.publish", "feeds.serve", "feeds.newissue",
                   "feeds.websub", "feeds.links", "http.server", "urllib.request"}
_CHANGES = {"jinja2", "markdown_it", "feeds.parser", "feeds.pages", "feeds.builder",
            "feeds.formats", "feeds.render", "feeds.loader", "tempfile"}
_PARSER = {"feeds.parser", "markdown_it"}  # with a second core, imported by the child that
# parses the few issue files a build finds edited (feeds.ahead), not by the build's process
_REFERENCE = {"feedgen", "dateutil", "feeds.formats.feedgen_common",
              "lxml"}  # and the OPML list and the sitemap, written as text (feeds.pages)


def test_a_no_op_build_imports_only_what_finds_nothing_changed(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"2024-07-20-29.md": SEED.read_bytes()})
    first = _modules_of_a_build(root, tmp_path)
    assert first >= _CHANGES - _PARSER  # a real build, in the same process set-up
    assert not _REFERENCE & first
    noop = _modules_of_a_build(root, tmp_path)
    assert not (_OTHER_COMMANDS | _CHANGES | _REFERENCE) & noop
    assert {"feeds.site", "feeds.writer", "feeds.store", "filelock", "sqlite3"} <= noop


def test_a_build_of_one_new_issue_imports_no_other_command(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"2024-07-20-29.md": SEED.read_bytes()})
    _modules_of_a_build(root, tmp_path)
    (root / "issues" / "2024-07-27-30.md").write_text(SECOND, encoding="utf-8")
    added = _modules_of_a_build(root, tmp_path)
    assert {"feeds.pages", "jinja2"} <= added
    assert not _PARSER & added if workers() >= 2 else added >= _PARSER  # see _PARSER
    assert not _OTHER_COMMANDS & added
    assert not _REFERENCE & added
    assert (root / "output" / "issues" / "2024-30.html").is_file()


def test_the_entry_point_leaves_the_objects_of_the_run_to_exit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """gc.freeze: the interpreter's shutdown does not walk them for cycles."""
    monkeypatch.setattr(sys, "argv", ["feeds", "--version"])
    before = gc.get_freeze_count()
    try:
        with pytest.raises(SystemExit) as stop:
            feeds.__main__.main()
        assert stop.value.code == 0
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
