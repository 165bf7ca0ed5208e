"""Hostile tests of the sweep of what a killed build left (breaker12): names that only
look like the tool's temporary files stay, the tool's own go, and a link named as
the tool names them is removed without touching what it names."""

from __future__ import annotations

import os
from pathlib import Path

from test_sync_after_all import _pages

from feeds import writer
from feeds.writer import OutputDir

P = writer.TMP_PREFIX
# a user's: 8 of mkstemp's letters after a name no older version wrote, upper-case or
# non-ASCII hex, unicode digits, no file name, a trailing space or newline, a folder
KEPT = ["README.markdown", "backup.20240101", "index.html_old", "notes.txt", ".abcdef012345",
        "x.0123456789AB", "x.٠١٢٣٤٥٦٧٨٩ab", "x.ｆｆｆｆｆｆｆｆｆｆｆｆ", "x.0123456789ab ",
        "x.0123456789ab\n", "x.abcdefg", "x.ABCDEFGH", "0123456789AB.0", "0123456789ab.",
        "0123456789ab.0.1", "0123456789ab.١"]
# the tool's: this version's, with several dots in the file's name, and older versions'
REMOVED = ["2024-1.html.0123456789ab", "a.b.c.0123456789ab", "rss.xml.abcdefgh",
           "feed.json.k2j3_h4x", "style.css.00000000", "feeds.opml.zzzzzzzz",
           "2024-2.html.abc_1234"]


def test_odd_names_kept_and_removed_exactly(tmp_path: Path) -> None:
    out_dir, outside = tmp_path / "output", tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.html").write_bytes(b"secret")
    (outside / "dir").mkdir()
    (outside / "dir" / "f.html").write_bytes(b"f")
    pages = _pages(3)
    first = OutputDir(out_dir).publish(pages, {})
    issues = out_dir / "issues"
    for name in KEPT + REMOVED:
        (issues / (P + name)).write_bytes(name.encode())
    (issues / f"{P}mine.0123456789ab").mkdir()  # a folder named as a temporary file
    (issues / f"{P}mine.0123456789ab" / "a").write_bytes(b"a")
    os.symlink(outside / "secret.html", issues / f"{P}secret.html.0123456789ab")
    os.symlink(outside / "dir", issues / f"{P}0123456789ab.1")
    os.symlink(outside / "secret.html", issues / f"{P}my-link")
    OutputDir(out_dir).publish({**pages, "issues/2024-1.html": b"<p>changed</p>\n"},
                               dict(first.rows))
    assert sorted(n for n in os.listdir(issues) if n.startswith(P)) == \
        sorted([P + n for n in KEPT] + [f"{P}mine.0123456789ab", f"{P}my-link"])
    for name in KEPT:
        assert (issues / (P + name)).read_bytes() == name.encode()
    assert (issues / f"{P}mine.0123456789ab" / "a").read_bytes() == b"a"
    assert (outside / "secret.html").read_bytes() == b"secret"
    assert os.listdir(outside / "dir") == ["f.html"]
    assert (outside / "dir" / "f.html").read_bytes() == b"f"


def test_the_check_refuses_eight_letters_after_a_name_older_versions_never_wrote() -> None:
    assert not writer._is_tmp_name(f"{P}README.markdown")
    assert not writer._is_tmp_name(f"{P}backup.20240101")
    assert writer._is_tmp_name(f"{P}atom.xml.k2j3_h4x")
    assert writer._is_tmp_name(f"{P}README.markdown.0123456789ab")  # this version's form
