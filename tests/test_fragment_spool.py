"""Serialised entries kept for writing the feeds (:class:`feeds.spool.Fragments`): in
memory up to a budget, the rest in a temporary file, and read back byte for byte; a
build whose entries all go to that file, or none of them (no room for it), publishes
the same bytes as one that keeps them all in memory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from conftest import SEED

from feeds.api import build_site
from feeds.config import Config
from feeds.spool import Fragments


def test_kept_in_memory_up_to_the_budget_then_in_the_file() -> None:
    kept = Fragments(budget=6)
    kept.keep({"a": (b"ab", b"cd"), "b": (b"ef", b"gh"), "c": ("第".encode(), b"")})
    assert kept.held == {"a": (b"ab", b"cd")} and kept.file is not None
    assert [kept["b"][0], kept["b"][1], kept["b"][-1]] == [b"ef", b"gh", b"gh"]
    assert list(kept["c"]) == ["第".encode(), b""]
    assert list(kept.each(["c", "a", "b", "a"], 1) or []) == [b"", b"cd", b"gh", b"cd"]
    assert list(kept.each(["b"], 0) or []) == [b"ef"]
    assert sorted(kept) == ["a", "b", "c"] and len(kept) == 3 and "b" in kept
    # held (a), spilled (b, c), not kept (d): as many lookups would find them
    assert kept.among({"a", "b", "d"}) == {"a", "b"} == {k for k in "abd" if k in kept}
    assert kept.among(dict.fromkeys("cd").keys()) == {"c"} and kept.among(set()) == set()
    with pytest.raises(IndexError):
        kept["b"][2]
    kept.close()
    assert kept.file is None


def test_a_key_not_kept_leaves_the_caller_to_read_the_store() -> None:
    kept = Fragments(budget=0)
    kept.keep({"a": (b"x",)})
    assert kept.each(["a", "missing"], 0) is None and "missing" not in kept
    with pytest.raises(KeyError):
        kept["missing"]


def test_a_key_with_another_number_of_formats_is_not_spooled() -> None:
    kept = Fragments(budget=0)
    kept.keep({"a": (b"x", b"y"), "b": (b"z",)})
    assert "a" in kept and "b" not in kept


def test_no_room_for_the_file_keeps_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> int:
        raise OSError(28, "No space left on device")

    kept = Fragments(budget=0)
    monkeypatch.setattr(os, "pwritev", full)
    monkeypatch.setattr(os, "pwrite", full)
    kept.keep({"a": (b"x",)})
    assert "a" not in kept and kept.end == 0
    monkeypatch.undo()
    kept.keep({"b": (b"yz",)})
    assert list(kept.each(["b"], 0) or []) == [b"yz"]


def test_a_short_write_is_finished_and_many_parts_are_written_joined(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pwritev = os.pwritev

    def short(fd: int, parts: list[bytes], offset: int) -> int:
        return pwritev(fd, [parts[0][:1]], offset)  # one byte only

    monkeypatch.setattr(os, "pwritev", short)
    kept = Fragments(budget=0)
    kept.keep({"a": (b"abc", b"de"), "b": (b"f", b"")})
    assert [list(kept[k]) for k in "ab"] == [[b"abc", b"de"], [b"f", b""]]
    monkeypatch.undo()
    many = {f"k{n}": (str(n).encode(), b"-") for n in range(600)}  # 1,200 parts
    kept.keep(many)
    assert list(kept.each(list(many), 0) or []) == [str(n).encode() for n in range(600)]
    assert kept["b"][0] == b"f" and kept.end == 6 + sum(len(str(n)) + 1 for n in range(600))


def _issues(root: Path) -> Path:
    issues = root / "issues"
    issues.mkdir(parents=True)
    text = SEED.read_text(encoding="utf-8")
    (issues / "2024-07-20-29.md").write_text(text, encoding="utf-8")
    (issues / "2024-07-27-30.md").write_text(
        text.replace("第二十九期", "第三十期").replace("2024-29", "2024-30"), encoding="utf-8")
    return issues


def _published(root: Path) -> dict[str, bytes]:
    config = Config(base_url="https://feeds.example.com/", max_items=0, section_max_items=0,
                    digest_max_items=0)
    build_site(_issues(root), root / "output", config)
    out = root / "output"
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


def test_entries_in_the_file_or_only_in_the_store_publish_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    in_memory = _published(tmp_path / "memory")
    monkeypatch.setattr("feeds.site.AT_HAND_BYTES", 0)
    spooled = _published(tmp_path / "file")
    assert spooled == in_memory and len(in_memory) > 10

    made = tempfile.TemporaryFile

    def full(*args: object, prefix: str = "", **kwargs: object) -> object:
        if prefix == "feeds-entries-":
            raise OSError(28, "No space left on device")
        return made(*args, prefix=prefix, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    assert _published(tmp_path / "store") == in_memory
