"""Hostile tests of the sweep of what a killed build left (breaker11): it removes the
tool's own temporary files and staging folders, and nothing of a user's, even one
whose name starts as the tool's do."""

from __future__ import annotations

import os
from pathlib import Path

from test_build import all_files
from test_sync_after_all import _pages

from feeds import writer
from feeds.writer import OutputDir


def test_a_users_folder_named_like_a_temporary_file_keeps_its_files(tmp_path: Path) -> None:
    """A folder of the user's whose name starts with ``.feeds-tmp-`` but is not a
    staging folder's (``.feeds-tmp-<12 hex>.<n>``) is not the tool's: before staging
    folders, unlinking it failed and it stayed; the sweep now empties it."""
    out_dir = tmp_path / "output"
    pages = _pages(3)
    first = OutputDir(out_dir).publish(pages, {})
    drafts = out_dir / "issues" / f"{writer.TMP_PREFIX}drafts"
    drafts.mkdir()
    (drafts / "next.md").write_bytes("下一期的草稿\n".encode())
    (drafts / "2024-1.html.0123456789ab").write_bytes(b"<p>mine</p>\n")
    again = {**pages, "issues/2024-1.html": b"<p>changed</p>\n"}
    second = OutputDir(out_dir).publish(again, dict(first.rows))
    assert second.changed == ("issues/2024-1.html",)
    assert sorted(os.listdir(drafts)) == ["2024-1.html.0123456789ab", "next.md"]
    assert (drafts / "next.md").read_bytes() == "下一期的草稿\n".encode()
    assert all_files(out_dir) == {**again,
                                  f"issues/{drafts.name}/next.md": "下一期的草稿\n".encode(),
                                  f"issues/{drafts.name}/2024-1.html.0123456789ab":
                                      b"<p>mine</p>\n"}


def test_a_staging_folders_own_leftovers_are_still_removed(tmp_path: Path) -> None:
    """The other side: a folder named as the tool names staging folders, holding the
    files a killed build made in it, goes (with its files) at the next publish."""
    out_dir = tmp_path / "output"
    pages = _pages(3)
    first = OutputDir(out_dir).publish(pages, {})
    left = out_dir / "issues" / f"{writer.TMP_PREFIX}0123456789ab.1"
    left.mkdir()
    (left / "2024-2.html.ba9876543210").write_bytes(b"<p>half</p>")
    again = {**pages, "issues/2024-1.html": b"<p>changed</p>\n"}
    OutputDir(out_dir).publish(again, dict(first.rows))
    assert not left.exists()
    assert all_files(out_dir) == again


def test_a_users_file_named_like_a_temporary_file_is_kept(tmp_path: Path) -> None:
    """A file of the user's whose name starts with ``.feeds-tmp-`` but does not end as
    the tool's temporary files do (``.<12 hex>``, or ``.<8 of [a-z0-9_]>`` from the
    versions that used ``tempfile.mkstemp``) is not the tool's: the sweep once removed
    it. Beside it, the tool's own leftovers of both kinds still go."""
    out_dir = tmp_path / "output"
    pages = _pages(3)
    first = OutputDir(out_dir).publish(pages, {})
    mine = {f"{writer.TMP_PREFIX}notes.txt": "笔记\n".encode(),
            f"{writer.TMP_PREFIX}2024-1.html": b"no tail",
            f"{writer.TMP_PREFIX}.0123456789ab": b"no file name before the tail",
            f"{writer.TMP_PREFIX}2024-1.html.0123456789AB": b"upper case: not hex as made",
            f"{writer.TMP_PREFIX}2024-1.html.0123456789abc": b"13 hex",
            f"{writer.TMP_PREFIX}2024-1.html.abc-defg": b"8, not of mkstemp's letters",
            f"{writer.TMP_PREFIX}drafts.md": b"drafts"}
    for name, data in mine.items():
        (out_dir / "issues" / name).write_bytes(data)
    for name in ("2024-2.html.0123456789ab", "2024-3.html.x_k2j3h4"):
        (out_dir / "issues" / f"{writer.TMP_PREFIX}{name}").write_bytes(b"<p>half</p>")
    again = {**pages, "issues/2024-1.html": b"<p>changed</p>\n"}
    OutputDir(out_dir).publish(again, dict(first.rows))
    assert all_files(out_dir) == {**again, **{f"issues/{n}": d for n, d in mine.items()}}


def test_only_tool_names_pass_the_check() -> None:
    """The names the writer itself makes are the tool's, every time."""
    for _ in range(200):
        name = os.path.basename(writer._tmp_name(Path("/out/issues/2024-1.html")))
        assert writer._is_tmp_name(name), name
    assert not writer._is_tmp_name("notes.0123456789ab")  # not the prefix
    assert not writer._is_staging_name(f"{writer.TMP_PREFIX}notes.txt")
