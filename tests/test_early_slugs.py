"""A cold build whose slug helper is slow to answer (pypinyin loads for 0.3 s or more):
the results that need its slugs wait in order while the workers parse on
(:data:`feeds.early.SLUGS_WHILE_PARSING`), with the same published bytes and store as
when the build waits for the helper at once, and as the reference path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from test_early_prepare import EVERY, _cold, _project

from feeds import early, loader, slugs
from feeds.slugs import SlugHelper

COUNT = 200  # more than the workers are sent at the start (2 x 4 chunks of 16)


def _slow_helper(monkeypatch: pytest.MonkeyPatch, delay: float) -> None:
    """The helper starts ``delay`` seconds late."""
    def start() -> SlugHelper:
        script = (f"import os, time; time.sleep({delay}); from feeds.slugs import _serve; "
                  f"_serve({os.getpid()})")
        return SlugHelper(subprocess.Popen(
            [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)}))

    monkeypatch.setattr(SlugHelper, "start", staticmethod(start))


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The issues this process filled in slugs for and sent to be prepared from JSON."""
    sent: list[str] = []
    to_json = early.result_to_json

    def counted(result: Any) -> bytes:
        sent.append(result.issue.path)
        return to_json(result)

    monkeypatch.setattr(early, "result_to_json", counted)
    return sent


def _fresh(root: Path, prepare: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(slugs, "_known", {})
    return _cold(root, prepare, monkeypatch)


def test_the_workers_parse_on_while_the_helper_loads_and_publish_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "site", EVERY, count=COUNT)
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
    _slow_helper(monkeypatch, 2.0)
    reference = _fresh(root, False, monkeypatch)
    assert reference[0][0] == 0, reference[0]
    sent = _counted(monkeypatch)
    monkeypatch.setattr(early, "SLUGS_WHILE_PARSING", False)
    waited = _fresh(root, True, monkeypatch)
    assert waited == reference
    assert 0 < len(sent) <= 128  # those sent at the start, parsed while this process waited
    sent.clear()
    monkeypatch.setattr(early, "SLUGS_WHILE_PARSING", True)
    parsed_on = _fresh(root, True, monkeypatch)
    assert parsed_on == reference
    assert len(sent) == COUNT  # every dated issue: all were parsed before the helper answered
    assert len(set(sent)) == COUNT and not [p for p in sent if p.endswith("2024-29.md")]
    sent.clear()
    monkeypatch.setattr(early, "WAITING_MAX", 32)  # then it waits: fewer results held
    assert _fresh(root, True, monkeypatch) == reference
    assert 32 <= len(sent) <= 128 + 2 * 16


def test_a_helper_that_never_answers_leaves_the_slugs_to_this_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "site", EVERY, count=70)
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 2)
    reference = _fresh(root, False, monkeypatch)
    monkeypatch.setattr(SlugHelper, "TIMEOUT", 0.5)
    _slow_helper(monkeypatch, 30.0)
    assert _fresh(root, True, monkeypatch) == reference
