"""Section slugs: the same whether made here or by the helper process."""

from __future__ import annotations

import subprocess

import pytest

from feeds import slugs
from feeds.slugs import SlugHelper, resolve_slugs, slugify

NAMES = ["分布式系统", "AI 前沿", "云原生 & Serverless", "数据库", "Ümlaut"]


@pytest.fixture(autouse=True)
def forget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slugs, "_known", {})


def test_pinyin_slugs() -> None:
    assert [slugify(n) for n in NAMES] == [
        "fen-bu-shi-xi-tong", "ai-qian-yan", "yun-yuan-sheng-serverless", "shu-ju-ku", "umlaut"]


def test_helper_makes_what_slugify_makes() -> None:
    want = {name: slugify(name) for name in NAMES}
    slugs._known.clear()
    helper = SlugHelper.start()
    assert helper is not None
    try:
        assert helper.slugs(NAMES) == want
    finally:
        helper.close()
    assert helper.process.returncode == 0
    assert slugs.known_slugs() == {}  # the helper made them, not this process


def test_resolve_remembers_and_falls_back_when_the_helper_fails() -> None:
    helper = SlugHelper.start()
    assert helper is not None
    helper.close()
    assert helper.slugs(["数据库"]) is None
    assert resolve_slugs(["数据库", "数据库", "AI 前沿"], helper) == {
        "AI 前沿": "ai-qian-yan", "数据库": "shu-ju-ku"}
    assert slugs.known_slugs() == {"AI 前沿": "ai-qian-yan", "数据库": "shu-ju-ku"}
    assert resolve_slugs(["数据库"], None) == {"数据库": "shu-ju-ku"}


def test_a_helper_that_cannot_start_means_slugs_made_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slugs.sys, "executable", "/nonexistent/python")
    assert SlugHelper.start() is None
    assert resolve_slugs(["分布式系统"], None) == {"分布式系统": "fen-bu-shi-xi-tong"}


def test_a_helper_that_hangs_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    hung = subprocess.Popen(["sleep", "30"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    helper = SlugHelper(hung)
    monkeypatch.setattr(SlugHelper, "TIMEOUT", 0.2)
    try:
        assert resolve_slugs(["数据库"], helper) == {"数据库": "shu-ju-ku"}
    finally:
        helper.close()
    assert hung.returncode == -9
