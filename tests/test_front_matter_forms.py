"""Front matter values in forms the README does not document: fractional seconds
(which RSS cannot carry while Atom and JSON would) and a decimal number or year."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

BODY = "# 云计算技术动态 2024 年第1期\n\n## 分布式系统\n\n**1.** **T**\n\nhttps://example.com/a\n\n" \
       "**摘要:** s\n"
DATE_FORM = ("write YYYY-MM-DD, or YYYY-MM-DD HH:MM[:SS] with an optional offset such as "
             "+08:00, in the years 1900-2999")


@pytest.mark.parametrize(("line", "message"), [
    ("date: 2024-07-20T10:00:00.999999+08:00",
     "front matter date '2024-07-20T10:00:00.999999+08:00' has fractional seconds (.999999), "
     f"which not every feed can carry; {DATE_FORM}"),
    ("date: 2024-07-20 10:00:00.5", "front matter date '2024-07-20 10:00:00.5' has fractional "
     f"seconds (.5), which not every feed can carry; {DATE_FORM}"),
    ("date: '2024-07-20T10:00:00,000+08:00'",
     "front matter date '2024-07-20T10:00:00,000+08:00' has fractional seconds (,000), which "
     f"not every feed can carry; {DATE_FORM}"),
    ("number: 29.0", "front matter number must be a whole number, not 29.0; write a number "
     "from 1 to 9999 in digits (29) or Chinese numerals (二十九)"),
    ("year: 2024.0", "front matter year must be a whole number, not 2024.0; write a year from "
     "1900 to 2999, e.g. 'year: 2024'"),
])
def test_an_undocumented_form_is_an_error_saying_what_is_wrong(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("issues").mkdir()
    Path("issues/2024-01-05-1.md").write_text(f"---\n{line}\n---\n{BODY}", encoding="utf-8")
    assert run_main("check") == (
        1, f"issues/2024-01-05-1.md:2: error: {message}\nchecked 1 file: 1 error, 0 warnings\n", "")
    code, out, err = run_main("build")
    assert (code, out) == (1, "")
    assert err.startswith(f"issues/2024-01-05-1.md:2: error: {message}\n")


@pytest.mark.parametrize("line", ["date: 2024-07-20T10:00:00+08:00", "date: 2024-07-20 10:00",
                                  "number: 1", "year: 2024"])
def test_the_documented_forms_still_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         line: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("issues").mkdir()
    Path("issues/2024-01-05-1.md").write_text(f"---\n{line}\n---\n{BODY}", encoding="utf-8")
    assert run_main("check") == (0, "checked 1 file: 0 errors, 0 warnings\n", "")
