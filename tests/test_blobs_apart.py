"""A cold build's issue pages: each forked worker reads its issue's parse result itself
(``feeds.webedition.BLOBS_APART``) rather than the build reading and sending it; the
pages are those of the build that sends them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED
from test_build import CONFIG, all_files, build, write_project

from feeds import loader, webedition
from feeds.parallel import workers


def _project(root: Path) -> Path:
    from corpus import write_corpus

    project = write_project(root, {"2024-07-20-29.md": SEED.read_bytes()},
                            CONFIG + "max_items = 0\nsection_max_items = 0\n")
    write_corpus(12, project / "issues")
    return project


@pytest.mark.skipif(workers() < 2, reason="forked workers need a second core")
def test_issue_pages_read_in_the_workers_are_those_sent_to_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sent, apart = _project(tmp_path / "sent"), _project(tmp_path / "apart")
    monkeypatch.setattr(webedition, "PARALLEL_MIN_PAGES", 2)
    readers: list[int] = []
    blob = loader.issue_blob

    def noted(*args: Any, **kwargs: Any) -> bytes | None:
        readers.append(os.getpid())
        with open(tmp_path / "readers", "a", encoding="ascii") as log:
            log.write(f"{os.getpid()}\n")
        return blob(*args, **kwargs)

    monkeypatch.setattr(loader, "issue_blob", noted)
    monkeypatch.setattr(webedition, "BLOBS_APART", False)
    assert build(sent)[0] == 0
    here = (tmp_path / "readers").read_text(encoding="ascii").split()
    (tmp_path / "readers").unlink()
    monkeypatch.setattr(webedition, "BLOBS_APART", True)
    assert build(apart)[0] == 0
    there = (tmp_path / "readers").read_text(encoding="ascii").split()
    assert all_files(apart / "output") == all_files(sent / "output")
    # sent: the build read all 13 (and the section pages' child its own); apart: the
    # workers read them
    assert here.count(str(os.getpid())) >= 13 and there.count(str(os.getpid())) < 13
    assert len(set(there) - {str(os.getpid())}) >= 2
