"""Section slugs: the same whether made here or by the helper process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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
        assert helper.process.stdin is not None
        helper.process.stdin.close()  # its end of input: it exits on its own, however slowly
        assert helper.process.wait(timeout=60) == 0
    finally:
        helper.close()
    assert slugs.known_slugs() == {}  # the helper made them, not this process


def test_the_helper_leaves_at_the_end_of_its_input_without_tearing_down() -> None:
    """The build waits for the helper at the end of a cold parse: it leaves at once
    (os._exit), not through the interpreter's exit, which frees pypinyin's dictionaries
    (0.1-0.15 s) and runs exit handlers: the one planted here never prints."""
    script = ("import atexit, sys; import feeds.slugs as s; "
              "atexit.register(lambda: print('torn down', flush=True)); s._serve(None)")
    done = subprocess.run([sys.executable, "-c", script], input='["数据库"]\n["AI 前沿"]\n',
                          capture_output=True, text=True, encoding="utf-8", timeout=60,
                          check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {"数据库": "shu-ju-ku"}, {"AI 前沿": "ai-qian-yan"}]


def test_helper_answers_batch_after_batch_while_a_fork_holds_its_pipes() -> None:
    """A cold parse asks for new names as its results come in, with parse workers
    (forked after the helper) still alive."""
    slugs._known.clear()
    helper = SlugHelper.start()
    assert helper is not None
    child = os.fork()
    if child == 0:
        time.sleep(60)
        os._exit(0)
    try:
        assert helper.slugs(["数据库"]) == {"数据库": "shu-ju-ku"}
        assert helper.slugs(["AI 前沿", "分布式系统"]) == {
            "AI 前沿": "ai-qian-yan", "分布式系统": "fen-bu-shi-xi-tong"}
        assert resolve_slugs(["数据库", "Ümlaut"], helper) == {
            "数据库": "shu-ju-ku", "Ümlaut": "umlaut"}
        assert slugs.known_slugs() == {"数据库": "shu-ju-ku", "Ümlaut": "umlaut"}
        assert not helper.failed
    finally:
        helper.close()  # the fork's copy of its input keeps it waiting: killed
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    assert helper.process.returncode == -9


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


def test_a_large_cold_parse_leaves_pypinyin_to_the_helper(tmp_path: Path) -> None:
    """Neither the build process nor its parse workers (forked from it) load the
    57 MB of pypinyin's dictionaries; the slugs are still the same."""
    from corpus import write_corpus

    write_corpus(70, tmp_path / "issues")
    marker = tmp_path / "made-here"
    script = (
        "import sys, json, os\n"
        "from pathlib import Path\n"
        "from feeds import loader, slugs\n"
        "from feeds.parser import ParseOptions\n"
        "made = slugs._pinyin_slug\n"
        "def spy(name):\n"  # forked workers inherit it: any call outside the helper shows
        f"    Path({str(marker)!r}).open('a').write(f'{{os.getpid()}}\\n')\n"
        "    return made(name)\n"
        "slugs._pinyin_slug = spy\n"
        f"issues = loader.load_issues([Path({str(tmp_path / 'issues')!r})], ParseOptions()).issues\n"
        "slugs = sorted({(s.name, s.slug) for i in issues for s in i.sections})\n"
        "print(json.dumps(['pypinyin' in sys.modules, len(issues), slugs]))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=tmp_path)
    loaded, count, made = json.loads(done.stdout)
    assert (loaded, count) == (False, 70)
    assert not marker.exists()
    assert made == sorted([name, slugify(name)] for name, _ in made)
    assert len(made) >= 10
