"""A real reader library, ``reader`` (lemon24/reader), subscribes to every feed in every
format through the preview server, and sees the same entries in each."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SEED
from reader import Reader, make_reader
from test_build import SECOND, all_files, build, write_project

from feeds.serve import make_server

THIRD = SECOND.replace("第三十期", "第三十一期").replace(
    "url: https://news.example.org/issues/30\n", "").replace("一致性协议综述", "第三十一期的新文章")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    write_project(tmp_path, {"2024-07-20-29.md": SEED.read_bytes(), "2024-07-27-30.md": SECOND})
    code, _, err = build(tmp_path)
    assert code == 0, err
    server = make_server(tmp_path / "output", "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def feeds(out: Path) -> list[str]:
    return sorted(p for p in all_files(out) if p.endswith((".xml", ".json")) and p != "sitemap.xml")


def seen(reader: Reader, url: str) -> dict[str, tuple[str | None, str | None, object]]:
    """id → (title, link, published) of every entry the reader stored for the feed."""
    entries = list(reader.get_entries(feed=url))
    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids)), url
    return {e.id: (e.title, e.link, e.published) for e in entries}


def test_reader_sees_the_same_entries_in_every_format(served: tuple[Path, str]) -> None:
    root, base = served
    out = root / "output"
    reader = make_reader(":memory:")
    paths = feeds(out)
    assert len(paths) == 21
    for path in paths:
        reader.add_feed(base + path)
    for result in reader.update_feeds_iter():
        assert not isinstance(result.value, Exception), (result.url, result.value)
    folders = sorted({p.rsplit("/", 1)[0] if "/" in p else "" for p in paths})
    for folder in folders:
        where = base + (f"{folder}/" if folder else "")
        atom, rss, jf = (seen(reader, where + name) for name in ("atom.xml", "rss.xml", "feed.json"))
        items = json.loads((out / (f"{folder}/" if folder else "") / "feed.json").read_bytes())["items"]
        assert sorted(jf) == sorted(i["id"] for i in items), folder
        assert atom == rss == jf, folder
        assert all(title and link and published for title, link, published in atom.values()), folder
    reader.close()


def test_a_rebuild_that_adds_an_issue_adds_entries_and_no_duplicate(served: tuple[Path, str]) -> None:
    root, base = served
    out = root / "output"
    reader = make_reader(":memory:")
    for path in feeds(out):
        reader.add_feed(base + path)
    reader.update_feeds()
    before = {path: seen(reader, base + path) for path in feeds(out)}
    time.sleep(1.1)  # Last-Modified has whole seconds: same-second rebuilds would answer 304
    (root / "issues" / "2024-08-03-31.md").write_text(THIRD, encoding="utf-8")
    assert build(root)[0] == 0
    reader.update_feeds(scheduled=False)  # now, not at the next scheduled update
    for path in feeds(out):
        after = seen(reader, base + path)
        assert set(before[path]) <= set(after), path  # nothing lost, every id kept
        if path.endswith(".json"):
            items = json.loads((out / path).read_bytes())["items"]
            assert len(after) == len(items), path  # no duplicate of an entry seen before
    digest = seen(reader, base + "digest/feed.json")
    assert sorted(k.rsplit("-", 1)[1] for k in digest) == ["29", "30", "31"]
    new = seen(reader, base + "feed.json")
    assert len(new) == len(before["feed.json"]) + 3
    assert ("第三十一期的新文章", "https://example.com/raft?utm_source=wechat&utm_medium=share&id=7") in \
        {(t, link) for t, link, _ in new.values()}
    reader.close()
