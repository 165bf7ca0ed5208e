"""A URL ending in Chinese punctuation (the sentence's, mostly) is published as it is
(its id must not change) with a warning on its line suggesting the URL without it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

HEAD = "# 云计算技术动态 2024 年第1期\n\n## 分布式系统\n\n**1.** **T**\n\n"
WHERE = "issues/2024-01-05-1.md:7: warning: article 1 in section 分布式系统: URL"


@pytest.mark.parametrize(("line", "shown", "stray", "bare"), [
    ("https://example.com/a。", "https://example.com/a。", "。", "https://example.com/a"),
    ("https://example.com/a）", "https://example.com/a）", "）", "https://example.com/a"),
    ("https://example.com/a，", "https://example.com/a，", "，", "https://example.com/a"),
    ("https://example.com/a）。", "https://example.com/a）。", "）。", "https://example.com/a"),
    ("https://example.com/a?x=（1）。", "https://example.com/a?x=（1）。", "。",
     "https://example.com/a?x=（1）"),
    ("[T](https://example.com/a。)", "https://example.com/a%E3%80%82", "。",
     "https://example.com/a"),
])
def test_trailing_cjk_punctuation_is_a_warning_suggesting_the_url_without_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, shown: str, stray: str,
        bare: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("issues").mkdir()
    Path("issues/2024-01-05-1.md").write_text(f"{HEAD}{line}\n\n**摘要:** s\n", encoding="utf-8")
    assert run_main("check") == (
        0, f"{WHERE} {shown!r} ends in the punctuation {stray!r}, which is published as part of "
           f"the link; if it is the sentence's, write {bare!r}\n"
           "checked 1 file: 0 errors, 1 warning\n", "")
    code, out, _ = run_main("list", "--json")
    assert code == 0
    assert json.loads(out)[0]["sections"][0]["articles"][0]["url"] == shown  # not changed


@pytest.mark.parametrize("line", ["https://example.com/路径", "https://example.com/a?x=（1）",
                                  "https://example.com/a.", "https://example.com/a%20"])
def test_a_url_without_stray_punctuation_has_no_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("issues").mkdir()
    Path("issues/2024-01-05-1.md").write_text(f"{HEAD}{line}\n\n**摘要:** s\n", encoding="utf-8")
    assert run_main("check") == (0, "checked 1 file: 0 errors, 0 warnings\n", "")
