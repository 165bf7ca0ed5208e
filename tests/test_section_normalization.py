"""One section name typed in two Unicode normalization forms (NFC ``é``, NFD ``e`` and a
combining accent) looks the same and has the same slug: the error says so, and says to
retype one, rather than to give one of them its own slug."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from test_build import build, write_project

from feeds.loader import load_issues
from feeds.model import ParseError
from feeds.parser import ParseOptions

NFC = unicodedata.normalize("NFC", "Café 技术")
NFD = unicodedata.normalize("NFD", "Café 技术")
BODY = ("# 云计算技术动态 2024 年第{number}期\n\n## {section}\n\n"
        "**1.** **A**\n\nhttps://a.example/{number}\n\n**摘要:** s\n")


def _issues(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    first, second = folder / "2024-07-01-29.md", folder / "2024-07-08-30.md"
    first.write_text(BODY.format(number="二十九", section=NFC), encoding="utf-8")
    second.write_text(BODY.format(number="三十", section=NFD), encoding="utf-8")
    return first, second


def _message(first: str, second: str) -> str:
    return (f"{second}:3: error: section {NFD} has the slug 'cafe-ji-shu', like section {NFC} "
            f"({first}:3), and differs from it only in Unicode normalization (composed and "
            "decomposed accents look the same): retype one of the two names so that both are "
            "written alike")


def test_two_forms_of_one_name_are_told_apart_from_two_names(tmp_path: Path) -> None:
    assert NFC != NFD
    first, second = _issues(tmp_path)
    with pytest.raises(ParseError) as info:
        load_issues([tmp_path], ParseOptions())
    assert [str(d) for d in info.value.diagnostics] == [_message(str(first), str(second))]


def test_a_build_says_the_same_and_publishes_nothing(tmp_path: Path) -> None:
    write_project(tmp_path, {})
    first, second = _issues(tmp_path / "issues")
    code, _, err = build(tmp_path)
    assert code == 1
    assert _message(str(first), str(second)) in err
    assert not (tmp_path / "output" / "atom.xml").exists()
    second.write_text(BODY.format(number="三十", section=NFC), encoding="utf-8")  # retyped
    assert build(tmp_path)[0] == 0
