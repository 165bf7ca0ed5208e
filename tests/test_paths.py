"""Paths the tool is handed or finds: a name that is not UTF-8 or holds a control
character gets a clear error or an escape, never exit 70 nor a forged line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run_main

GOOD_CONFIG = 'base_url = "https://feeds.example.com/"\ntag_authority = "feeds.example.com"\n'
ISSUE = "# 云计算技术动态 2024 年第1期\n\n## 分布式系统\n\n**1.** **T**\n\nhttps://example.com/a\n\n" \
        "**摘要:** s\n"
GBK_NAME = "2024-01-05-第一期.md".encode("gbk")  # b"2024-01-05-\xb5\xda\xd2\xbb\xc6\xda.md"
SHOWN = "issues/2024-01-05-\\xb5\\xdaһ\\xc6\\xda.md"  # D2 BB is UTF-8 (Cyrillic һ)
NOT_UTF8 = (f"{SHOWN}: error: the file name is not valid UTF-8; rename it "
            "(as GB18030 its name reads 2024-01-05-第一期.md)")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "feeds.toml").write_text(GOOD_CONFIG, encoding="utf-8")
    (tmp_path / "issues").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_gbk_named(project: Path) -> None:
    os.makedirs(b"issues", exist_ok=True)
    with open(b"issues/" + GBK_NAME, "w", encoding="utf-8") as handle:
        handle.write(ISSUE)


def test_an_issue_file_named_in_gbk_is_an_input_error_in_check_build_and_list(
        project: Path) -> None:
    write_gbk_named(project)
    assert run_main("check") == (1, f"{NOT_UTF8}\nchecked 1 file: 1 error, 0 warnings\n", "")
    assert run_main("build") == (1, "", f"{NOT_UTF8}\nfeeds: 1 error; nothing was written\n")
    assert not [p for p in (project / "output").rglob("*") if p.is_file()]
    assert run_main("list") == (1, "", f"{NOT_UTF8}\n")
    code, out, err = run_main("new", "--date", "2024-01-12")
    assert (code, out) == (1, "")
    assert err.startswith(f"{NOT_UTF8}\n")


def test_a_file_given_by_name_is_named_too(project: Path) -> None:
    write_gbk_named(project)
    assert run_main("check", os.fsdecode(b"issues/" + GBK_NAME)) == (
        1, f"{NOT_UTF8}\nchecked 1 file: 1 error, 0 warnings\n", "")


def test_a_folder_not_in_utf8_on_the_way_to_an_issue_is_named(project: Path) -> None:
    os.makedirs(b"issues/\xff")
    Path(os.fsdecode(b"issues/\xff/2024-01-05-1.md")).write_text(ISSUE, encoding="utf-8")
    assert run_main("check") == (
        1, "issues/\\xff/2024-01-05-1.md: error: the name of a folder on its path is not "
           "valid UTF-8; rename the folder\nchecked 1 file: 1 error, 0 warnings\n", "")


def test_an_issue_named_in_gbk_beside_good_ones_stops_a_build_that_worked_before(
        project: Path) -> None:
    (project / "issues" / "2024-01-05-1.md").write_text(ISSUE, encoding="utf-8")
    assert run_main("build", "-q") == (0, "", "")
    before = {p: p.read_bytes() for p in (project / "output").rglob("*") if p.is_file()}
    os.rename("issues/2024-01-05-1.md", b"issues/" + GBK_NAME)
    assert run_main("build")[:2] == (1, "")
    assert {p: p.read_bytes() for p in (project / "output").rglob("*") if p.is_file()} == before


BAD = os.fsdecode(b"bad\xff")


@pytest.mark.parametrize(("args", "message"), [
    (("build", "--output", BAD),
     "bad\\xff: the output folder's name is not valid UTF-8; choose another --output folder"),
    (("build", "--issues", BAD),
     "bad\\xff: the issues folder's name is not valid UTF-8; rename it or choose another "
     "--issues folder"),
    (("publish", "s3://bucket/x", "--output", BAD),
     "bad\\xff: the output folder's name is not valid UTF-8; choose another --output folder"),
    (("new", "--issues", BAD),
     "bad\\xff: the issues folder's name is not valid UTF-8; rename it or choose another "
     "--issues folder"),
    (("serve", "--port", "0", "--issues", BAD),
     "bad\\xff: the issues folder's name is not valid UTF-8; rename it or choose another "
     "--issues folder"),
    (("serve", "--port", "0", "--state", BAD),
     "bad\\xff/preview/site: the preview folder's name is not valid UTF-8; choose another "
     "--state folder"),
    (("check", BAD), "bad\\xff: the folder's name is not valid UTF-8; rename it"),
    (("list", BAD), "bad\\xff: the folder's name is not valid UTF-8; rename it"),
])
def test_a_folder_named_not_in_utf8_is_a_usage_error(project: Path, args: tuple[str, ...],
                                                     message: str) -> None:
    os.makedirs(os.fsencode(BAD))
    Path(BAD, "2024-01-05-1.md").write_text(ISSUE, encoding="utf-8")
    assert run_main(*args) == (2, "", f"feeds: error: {message}\n")
    assert not (project / "output").exists()


def test_an_output_folder_inside_a_folder_not_in_utf8_is_a_usage_error(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inside = project / BAD
    (inside / "issues").mkdir(parents=True)
    (inside / "feeds.toml").write_text(GOOD_CONFIG, encoding="utf-8")
    (inside / "issues" / "2024-01-05-1.md").write_text(ISSUE, encoding="utf-8")
    monkeypatch.chdir(inside)
    full = os.fsencode(inside / "output").decode("utf-8", "backslashreplace")
    assert run_main("build") == (
        2, "", f"feeds: error: {full}: the output folder's path is not valid UTF-8; "
               "choose another --output folder\n")
    assert run_main("check") == (0, "checked 1 file: 0 errors, 0 warnings\n", "")


FORGED = "2024-1.md:1: error: forged\n2024-2.md"
NO_NUMBER = ("error: no issue number: write the heading as '# 云计算技术动态 2024 年第二十九期' or "
             "set 'number:' in front matter")


def test_a_newline_in_a_file_name_cannot_forge_a_line(project: Path) -> None:
    (project / "issues" / FORGED).write_text("x\n", encoding="utf-8")
    code, out, err = run_main("check")
    assert (code, err) == (1, "")
    assert out.splitlines()[0] == f"issues/2024-1.md:1: error: forged\\n2024-2.md:1: {NO_NUMBER}"
    assert len(out.splitlines()) == 3
    code, out, err = run_main("build")
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == f"issues/2024-1.md:1: error: forged\\n2024-2.md:1: {NO_NUMBER}"
    assert len(err.splitlines()) == 3


def test_a_newline_in_a_listed_issue_name_is_escaped(project: Path) -> None:
    name = "2024-01-05-1\n.md"
    (project / "issues" / name).write_text(ISSUE, encoding="utf-8")
    code, out, err = run_main("list")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == \
        "云计算技术动态 2024 年第 1 期  2024-01-05  issues/2024-01-05-1\\n.md"


def test_a_newline_in_a_folder_name_is_escaped_in_an_error(project: Path) -> None:
    assert run_main("build", "--issues", "no\nsuch") == (
        2, "", "feeds: error: no\\nsuch: no such folder of issues\n")
