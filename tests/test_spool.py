"""Pages held in a spool file until written: the bytes read back are the bytes made,
the writer writes them from its threads, and a spool that cannot be made keeps them."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

import pytest

from feeds.spool import Spool, Spooled
from feeds.writer import WRITE_THREADS_FROM, OutputDir


def test_small_pages_stay_in_memory_and_the_rest_go_to_the_file() -> None:
    spool = Spool(budget=10)
    assert spool.keep(b"0123456789") == b"0123456789"
    kept = spool.keep(b"abc")
    assert isinstance(kept, Spooled) and spool.file is not None
    assert b"".join(kept()) == b"abc"
    again = spool.keep("第二页".encode())
    assert b"".join(again()) == "第二页".encode() and b"".join(kept()) == b"abc"


def test_a_page_made_in_parts_interleaved_with_another(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("feeds.spool.SpooledPage.PART", 4)
    spool = Spool(budget=0)
    one, two = spool.page(), spool.page()
    for at in range(10):
        one.add(f"a{at}".encode())
        two.add(f"b{at}".encode())
    small = spool.page()
    small.add(b"x")
    made_one, made_two = one.done(), two.done()
    assert isinstance(made_one, Spooled) and len(made_one.parts) > 2
    assert b"".join(made_one()) == b"".join(f"a{at}".encode() for at in range(10))
    assert b"".join(made_two()) == b"".join(f"b{at}".encode() for at in range(10))
    assert small.done() == b"x"


def test_no_room_for_a_spool_keeps_the_pages_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    spool = Spool(budget=0)
    kept = spool.keep(b"page")
    assert isinstance(kept, Spooled) and b"".join(kept()) == b"page"
    page = spool.page()
    page.add(b"a" * (2 << 20))
    page.add(b"b")
    made = page.done()
    assert isinstance(made, Spooled) and b"".join(made()) == b"a" * (2 << 20) + b"b"


def test_the_writer_writes_spooled_pages_from_its_threads(tmp_path: Path) -> None:
    spool = Spool(budget=0)
    pages = {f"issues/{n}.html": f"<p>第 {n} 期</p>\n".encode() for n in range(WRITE_THREADS_FROM)}
    out = OutputDir(tmp_path / "output")
    (tmp_path / "output").mkdir()
    published = out.publish({p: spool.keep(d) for p, d in pages.items()}, {})
    assert sorted(published.changed) == sorted(pages)
    assert {p: (tmp_path / "output" / p).read_bytes() for p in pages} == pages
    assert {p: (r.digest, r.size) for p, r in published.rows.items()} == \
        {p: (hashlib.sha256(d).hexdigest(), len(d)) for p, d in pages.items()}
    again = out.publish({p: spool.keep(d) for p, d in pages.items()}, published.rows)
    assert again.changed == () and sorted(again.unchanged) == sorted(pages)


def test_a_page_is_copied_through_memory_where_the_kernel_cannot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def cannot(*args: object) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr("feeds.spool.SpooledPage.PART", 3)
    spool = Spool(budget=0)
    page = spool.page()
    for part in (b"<p>", "一".encode(), b"</p>\n"):
        page.add(part)
    made = page.done()
    assert isinstance(made, Spooled) and made.size == len("<p>一</p>\n".encode())
    monkeypatch.setattr(os, "copy_file_range", cannot)
    fd = os.open(tmp_path / "page.html", os.O_WRONLY | os.O_CREAT)
    made.write_to(fd)
    os.close(fd)
    assert (tmp_path / "page.html").read_bytes() == "<p>一</p>\n".encode()
    assert made.digest == hashlib.sha256("<p>一</p>\n".encode()).hexdigest()
