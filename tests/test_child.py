"""feeds.child.Child, the one way a build forks a child for a second core: its answer
comes whole, a failed child answers None, and a child closed early is killed and reaped."""

from __future__ import annotations

import os
import time

import pytest
from conftest import reaped

from feeds.child import Child


def test_its_answer_comes_whole_and_the_child_is_reaped() -> None:
    big = os.urandom(5 << 20)  # far more than a pipe holds
    child = Child.fork(lambda: big)
    assert child is not None
    assert child.answer() == big
    assert child.ended and reaped(child.pid)
    assert child.answer() is None and child.close() is None  # once


def test_a_child_that_fails_answers_none() -> None:
    def fails() -> bytes:
        raise OSError("no room")

    child = Child.fork(fails)
    assert child is not None
    assert child.answer() is None
    assert reaped(child.pid)


def test_closed_early_the_child_is_killed_and_reaped() -> None:
    child = Child.fork(lambda: time.sleep(60) or b"late")
    assert child is not None
    started = time.monotonic()
    assert child.close() == -9  # SIGKILL
    assert time.monotonic() - started < 10
    assert reaped(child.pid)
    assert child.answer() is None


def test_no_child_without_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pipe() -> tuple[int, int]:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(os, "pipe", no_pipe)
    assert Child.fork(lambda: b"") is None
