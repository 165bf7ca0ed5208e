"""A file that is not UTF-8 because of its byte order mark is told which encoding
it is in (UTF-16, UTF-32) and how to convert it; a doubled UTF-8 mark is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

ISSUE = "# 云计算技术动态 2024 年第1期\n\n## 分布式系统\n\n**1.** **T**\n\nhttps://example.com/a\n\n" \
        "**摘要:** s\n"


@pytest.mark.parametrize(("data", "encoding", "bom"), [
    (ISSUE.encode("utf-16-le"), "UTF-16", "FF FE"),
    (ISSUE.encode("utf-16-be"), "UTF-16", "FE FF"),
    (ISSUE.encode("utf-32-le"), "UTF-32", "FF FE 00 00"),
    (ISSUE.encode("utf-32-be"), "UTF-32", "00 00 FE FF"),
])
def test_a_utf16_or_utf32_file_is_named_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                data: bytes, encoding: str, bom: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("2024-01-05-1.md").write_bytes(bytes.fromhex(bom) + data)
    assert run_main("check", "2024-01-05-1.md") == (
        1, f"2024-01-05-1.md:1: error: the file is {encoding}, not UTF-8 (it starts with the "
           f"byte order mark {bom}); convert it to UTF-8, e.g. 'iconv -f {encoding} -t UTF-8 "
           "2024-01-05-1.md'\nchecked 1 file: 1 error, 0 warnings\n", "")


def test_a_doubled_utf8_byte_order_mark_is_named(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("2024-01-05-1.md").write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + ISSUE.encode())
    assert run_main("check", "2024-01-05-1.md") == (
        1, "2024-01-05-1.md:1: error: a second byte order mark (EF BB BF) follows the first at "
           "the start of the file: remove it\nchecked 1 file: 1 error, 0 warnings\n", "")


def test_one_utf8_byte_order_mark_is_still_fine(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("2024-01-05-1.md").write_bytes(b"\xef\xbb\xbf" + ISSUE.encode())
    assert run_main("check", "2024-01-05-1.md") == (0, "checked 1 file: 0 errors, 0 warnings\n", "")
