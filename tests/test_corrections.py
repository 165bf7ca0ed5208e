"""A correction of an archived article reaches readers: RFC 5005 section 4.1 says a
reader may never fetch an archive page again, so the changed entry is republished
in the subscription feed with a new ``updated`` (the issue file's modification time)."""

from __future__ import annotations

import calendar
import email.utils
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import feedparser
from lxml import etree
from test_archives import ATOM, PAGE, SMALL, _archived, _document, subscription_feeds, walk
from test_build import TZ, all_files, build

from feeds.builder import Serialised, republished

CORRECTED = "更正：此摘要已按作者来函修订。"
STAMP = int(datetime(2026, 3, 1, 8, 30, tzinfo=UTC).timestamp())
WHEN = datetime.fromtimestamp(STAMP, TZ).isoformat()  # 2026-03-01T16:30:00+08:00
DIGEST_ID = "tag:news.example.org,2005:issue-2005-1"


def _correct(root: Path, stamp: int = STAMP) -> tuple[str, str]:
    """Correct the first summary of the oldest issue, dated ``stamp``; its old text
    and the link of its article."""
    oldest = sorted((root / "issues").glob("*.md"))[0]
    text = oldest.read_text(encoding="utf-8")
    found = re.search(r"^(https://\S+)\n\n\*\*摘要:\*\* (.+)$", text, re.M)
    assert found is not None, text[:400]
    oldest.write_text(text.replace(found.group(2), CORRECTED, 1), encoding="utf-8")
    os.utime(oldest, (stamp, stamp))
    return found.group(2), found.group(1)


def _id_of(out: Path, link: str) -> tuple[str, str]:
    """The id and published time (Atom) of the combined feed's entry with ``link``."""
    for path in [*(p for p in all_files(out) if p.startswith("archive/atom-")), "atom.xml"]:
        root = etree.fromstring((out / path).read_bytes())
        for entry in root.iter(f"{ATOM}entry"):
            if entry.find(f"{ATOM}link").get("href") == link:
                return entry.findtext(f"{ATOM}id"), entry.findtext(f"{ATOM}published")
    raise AssertionError(link)


def test_a_corrected_archived_article_is_republished_with_its_new_updated(tmp_path: Path) -> None:
    out = _archived(tmp_path, SMALL)
    old, link = _correct(tmp_path)
    ident, _ = _id_of(out, link)
    assert ident not in [e.id for e in _document((out / "atom.xml").read_bytes(), "atom")[1]]
    before = all_files(out)
    code, _, err = build(tmp_path)
    assert code == 0, err
    after = all_files(out)
    # every page once published still serves its bytes; new pages hold the new text
    assert all(after[p] == data for p, data in before.items() if PAGE.fullmatch(p))
    # the article's archived feeds (combined; its section's has no pages) and the
    # digest republish it; the others do not carry it
    carrying = []
    for path in subscription_feeds(out):
        fmt = "json" if path.endswith(".json") else "rss" if "rss" in path else "atom"
        repeated: list[str] = []
        collected, _ = walk(out, path, repeated)
        target = DIGEST_ID if path.startswith("digest/") else ident
        if target not in collected:
            assert repeated == [], path
            continue
        first = [e.id for e in _document(after[path], fmt)[1]]
        if target in [e.id for e in _document(before[path], fmt)[1]]:
            assert repeated == [] and first[0] != target, path  # never archived: kept in place
        else:
            carrying.append(path)
            assert repeated == [target], path  # in the subscription feed and its archive page
            assert first[0] == target, path  # newest by its updated
        if not path.startswith("digest/"):  # (the digest's summary lists titles)
            assert collected[target].summary == CORRECTED and old not in str(collected), path
        if fmt != "rss":  # RSS: the pubDate, see below
            assert collected[target].updated == WHEN, path
    assert carrying == ["atom.xml", "digest/atom.xml", "digest/feed.json", "digest/rss.xml",
                        "feed.json", "rss.xml"]
    # the subscription feed grew by the one entry, newest first, and its date moved
    entries = _document(after["atom.xml"], "atom")[1]
    assert len(entries) == len(_document(before["atom.xml"], "atom")[1]) + 1
    assert [e.id for e in entries[1:]] == [e.id for e in _document(before["atom.xml"], "atom")[1]]
    root = etree.fromstring(after["atom.xml"])
    assert root.findtext(f"{ATOM}updated") == WHEN


def test_readers_see_the_new_updated_in_atom_and_json_and_rss_keeps_its_pubdate(
        tmp_path: Path) -> None:
    out = _archived(tmp_path, SMALL)
    _, link = _correct(tmp_path)
    ident, published = _id_of(out, link)
    assert build(tmp_path)[0] == 0
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    assert not atom.bozo
    [entry] = [e for e in atom.entries if e.id == ident]
    assert calendar.timegm(entry.updated_parsed) == STAMP
    assert entry.published == published and entry.summary == CORRECTED
    assert calendar.timegm(atom.feed.updated_parsed) == STAMP
    # RSS 2.0 has no updated: feedgen keeps an entry's updated() for a lastBuildDate
    # it never writes, so the item carries only its pubDate (the first publication);
    # the channel's lastBuildDate moves to the correction.
    rss = feedparser.parse((out / "rss.xml").read_bytes())
    assert not rss.bozo
    [item] = [e for e in rss.entries if e.id == ident]
    assert calendar.timegm(item.published_parsed) == int(datetime.fromisoformat(published).timestamp())
    assert item.summary == CORRECTED and rss.entries[0].id == ident
    channel = etree.fromstring((out / "rss.xml").read_bytes())[0]
    [xml_item] = [i for i in channel.iter("item") if i.findtext("guid") == ident]
    assert sorted({c.tag for c in xml_item if "Date" in c.tag or "date" in c.tag}) == ["pubDate"]
    assert email.utils.parsedate_to_datetime(channel.findtext("lastBuildDate")).timestamp() == STAMP
    doc = json.loads((out / "feed.json").read_bytes())
    assert doc["items"][0]["id"] == ident and doc["items"][0]["date_modified"] == WHEN
    assert doc["items"][0]["date_published"] == published


def test_a_rebuild_keeps_the_correction_and_its_bytes_and_the_state_holds_it(
        tmp_path: Path) -> None:
    out = _archived(tmp_path, SMALL)
    _, link = _correct(tmp_path)
    ident, published = _id_of(out, link)
    assert build(tmp_path)[0] == 0
    corrected = all_files(out)
    republished_now = _document(corrected["atom.xml"], "atom")[1][0]
    assert (republished_now.id, republished_now.updated) == (ident, WHEN)
    assert build(tmp_path)[0] == 0 and all_files(out) == corrected  # nothing changed
    # a full build (another file touched, the corrected one touched again, its
    # content unchanged) keeps every byte: only a new revision moves ``updated``
    files = sorted((tmp_path / "issues").glob("*.md"))
    os.utime(files[0], (STAMP + 3600, STAMP + 3600))
    os.utime(files[5], (STAMP + 7200, STAMP + 7200))
    code, _, err = build(tmp_path)
    assert code == 0, err
    assert all_files(out) == corrected
    # the record is state: without it the build starts again from the issue's date
    shutil.rmtree(tmp_path / ".feeds")
    assert build(tmp_path)[0] == 0
    collected, _ = walk(out, "atom.xml")  # no entry in two documents
    assert collected[ident].updated == published and collected[ident].summary == CORRECTED
    assert ident not in [e.id for e in _document((out / "atom.xml").read_bytes(), "atom")[1]]


def test_a_second_correction_and_an_undo_each_move_updated_forward(tmp_path: Path) -> None:
    out = _archived(tmp_path, SMALL)
    old, link = _correct(tmp_path)
    ident, _ = _id_of(out, link)
    assert build(tmp_path)[0] == 0
    oldest = sorted((tmp_path / "issues").glob("*.md"))[0]
    oldest.write_text(oldest.read_text(encoding="utf-8").replace(CORRECTED, old),
                      encoding="utf-8")  # undone: the text is the first one again
    os.utime(oldest, (STAMP - 86400, STAMP - 86400))  # a clock set back
    assert build(tmp_path)[0] == 0
    collected, _ = walk(out, "atom.xml", [])
    later = datetime.fromtimestamp(STAMP + 1, TZ).isoformat()  # never before the last + 1 s
    assert collected[ident].summary == old and collected[ident].updated == later


def test_newer_issues_push_a_correction_out_of_the_subscription_feed(tmp_path: Path) -> None:
    from corpus import write_corpus

    out = _archived(tmp_path, SMALL)
    # corrected a day after the newest issue (2005-03-21)
    when = int(datetime(2005, 3, 22, 12, tzinfo=TZ).timestamp())
    _, link = _correct(tmp_path, when)
    ident, _ = _id_of(out, link)
    assert build(tmp_path)[0] == 0
    assert _document((out / "atom.xml").read_bytes(), "atom")[1][0].id == ident
    write_corpus(1, tmp_path / "issues", start=12)  # 2005-03-28: the correction is older
    assert build(tmp_path)[0] == 0
    ids = [e.id for e in _document((out / "atom.xml").read_bytes(), "atom")[1]]
    assert ident in ids and ids.index(ident) > 0  # placed by its updated, still newer than
    write_corpus(3, tmp_path / "issues", start=13)  # the oldest kept; then pushed out
    assert build(tmp_path)[0] == 0
    collected, _ = walk(out, "atom.xml")  # in its archive page only
    assert collected[ident].summary == CORRECTED
    assert collected[ident].updated == datetime.fromtimestamp(when, TZ).isoformat()


def _entry(day: int, updated: int | None = None) -> Serialised:
    published = datetime(2025, 1, day, tzinfo=UTC)
    changed = published if updated is None else datetime(2025, 1, updated, tzinfo=UTC)
    return Serialised(f"k{day}", published, changed, "", f"e{day}")


def test_republished_entries_go_by_updated_ahead_of_older_ones_and_only_when_newer() -> None:
    kept = [_entry(20), _entry(15), _entry(10)]
    archived = [_entry(2, 9), _entry(3, 12), _entry(1, 25), _entry(4, 17), _entry(5)]
    assert [e.key for e in republished(kept, archived)] == ["k1", "k20", "k4", "k15", "k3", "k10"]
    assert republished(kept, [_entry(2, 10)]) == tuple(kept)  # not newer than the oldest kept
    late = [_entry(20), _entry(15), _entry(10, 11)]  # the oldest kept itself corrected
    assert [e.key for e in republished(late, [_entry(3, 12), _entry(2, 11)])] == [
        "k20", "k15", "k3", "k10"]


def test_an_article_added_to_an_archived_issue_is_republished_like_a_correction(
        tmp_path: Path) -> None:
    out = _archived(tmp_path, SMALL)
    oldest = sorted((tmp_path / "issues").glob("*.md"))[0]
    text = oldest.read_text(encoding="utf-8")
    last = max(int(n) for n in re.findall(r"^\*\*(\d+)\.\*\*", text.split("\n## ")[-1], re.M))
    oldest.write_text(text.rstrip("\n") + f"\n\n**{last + 1}.** **补发的一篇**\n\n"
                      "https://example.com/added\n\n**摘要:** 上期漏发，现补上。\n", encoding="utf-8")
    os.utime(oldest, (STAMP, STAMP))
    code, _, err = build(tmp_path)
    assert code == 0, err
    first = _document((out / "atom.xml").read_bytes(), "atom")[1][0]
    assert (first.title, first.summary, first.updated) == ("补发的一篇", "上期漏发，现补上。", WHEN)
    repeated: list[str] = []
    collected, _ = walk(out, "atom.xml", repeated)
    assert repeated == [first.id]  # and in its archive page
    assert all(s.updated < "2006" for i, s in collected.items() if i != first.id)  # no other moved


def test_damaged_or_planted_records_are_not_trusted(tmp_path: Path) -> None:
    """A record that cannot be read is not known; a corrected row naming an issue or
    place that does not exist, or a section it is not in, republishes nothing."""
    import sqlite3

    out = _archived(tmp_path, SMALL)
    _, link = _correct(tmp_path)
    ident, _ = _id_of(out, link)
    assert build(tmp_path)[0] == 0
    db = sqlite3.connect(tmp_path / ".feeds" / "state.sqlite")
    with db:
        db.execute("UPDATE revisions SET records = 'not json' WHERE year = 2005 AND number = 2")
        db.execute("UPDATE revisions SET records = '[[1, 2]]' WHERE year = 2005 AND number = 3")
        db.executemany("INSERT INTO corrected VALUES (?, ?, ?, ?, ?, ?, ?)", [("../output", *row) for row in [
            ("planted-1", 2005, 1, 999, "yun-ji-suan-ji-shu", 4e9),
            ("planted-2", 1999, 1, 0, "yun-ji-suan-ji-shu", 4e9),
            ("planted-3", 2005, 2, 0, "no-such-section", 4e9)]])
    db.close()
    for number in (2, 3):  # edit the issues whose rows were damaged: their text, not a summary
        issue = sorted((tmp_path / "issues").glob("*.md"))[number - 1]
        issue.write_text(issue.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    code, _, err = build(tmp_path)
    assert code == 0 and "Traceback" not in err, err
    entries = _document((out / "atom.xml").read_bytes(), "atom")[1]
    assert entries[0].id == ident and entries[0].updated == WHEN
    assert len(entries) == len(_document((out / "rss.xml").read_bytes(), "rss")[1])
    walk(out, "atom.xml", repeated := [])
    assert repeated == [ident]


def test_a_file_dated_far_ahead_of_the_clock_is_refused_and_nothing_is_published(
        tmp_path: Path) -> None:
    out = _archived(tmp_path, SMALL)
    _correct(tmp_path, int(datetime(2099, 1, 1, tzinfo=UTC).timestamp()))
    oldest = sorted((tmp_path / "issues").glob("*.md"))[0]
    before = all_files(out)
    code, _, err = build(tmp_path)
    assert code == 1
    assert (f"{oldest}: error: modified 2099-01-01 00:00:00 UTC, more than an hour ahead of "
            "this machine's clock: a correction in it would be dated then and head the "
            "subscription feeds until then; nothing was published. Set the file's time to "
            f"now (touch {oldest}) and build again") in err
    assert all_files(out) == before
    assert build(tmp_path)[0] == 1  # refused again: the edit is still to be published
    os.utime(oldest)  # touch: now
    assert build(tmp_path)[0] == 0
    assert etree.fromstring((out / "atom.xml").read_bytes()).findtext(f"{ATOM}updated") < "2099"


def test_a_file_dated_less_than_an_hour_ahead_dates_its_correction_then(tmp_path: Path) -> None:
    import time

    out = _archived(tmp_path, SMALL)
    ahead = int(time.time()) + 3000
    _, link = _correct(tmp_path, ahead)
    ident, _ = _id_of(out, link)
    assert build(tmp_path)[0] == 0
    first = _document((out / "atom.xml").read_bytes(), "atom")[1][0]
    assert (first.id, first.updated) == (ident, datetime.fromtimestamp(ahead, TZ).isoformat())


def test_a_new_issue_dated_ahead_is_not_refused(tmp_path: Path) -> None:
    from corpus import write_corpus

    _archived(tmp_path, SMALL)
    write_corpus(1, tmp_path / "issues", start=12)
    new = sorted((tmp_path / "issues").glob("*.md"))[-1]
    os.utime(new, (4102444800, 4102444800))  # 2100-01-01: it dates nothing
    assert build(tmp_path)[0] == 0


def test_a_file_dated_early_still_gives_a_correction_readers_see(tmp_path: Path) -> None:
    out = _archived(tmp_path, SMALL)
    newest = max(etree.fromstring((out / "atom.xml").read_bytes()).itertext(f"{ATOM}published"))
    assert newest == "2005-03-21T00:00:29+08:00"  # the newest article of the newest issue
    _, link = _correct(tmp_path, int(datetime(1990, 1, 1, tzinfo=UTC).timestamp()))
    ident, published = _id_of(out, link)
    assert published == "2005-01-03T00:00:33+08:00"
    assert build(tmp_path)[0] == 0
    # a second after the newest date published: the newest entry, republished
    entries = _document((out / "atom.xml").read_bytes(), "atom")[1]
    assert (entries[0].id, entries[0].updated) == (ident, "2005-03-21T00:00:30+08:00")
    digest = _document((out / "digest/atom.xml").read_bytes(), "atom")[1]
    assert (digest[0].id, digest[0].updated) == (DIGEST_ID, "2005-03-21T00:00:30+08:00")
    root = etree.fromstring((out / "atom.xml").read_bytes())
    assert root.findtext(f"{ATOM}updated") == "2005-03-21T00:00:30+08:00"
    # corrected again, still dated early: a second after that correction
    oldest = sorted((tmp_path / "issues").glob("*.md"))[0]
    oldest.write_text(oldest.read_text(encoding="utf-8").replace(CORRECTED, "再次更正。"),
                      encoding="utf-8")
    os.utime(oldest, (0, 0))
    assert build(tmp_path)[0] == 0
    entries = _document((out / "atom.xml").read_bytes(), "atom")[1]
    assert (entries[0].id, entries[0].updated) == (ident, "2005-03-21T00:00:31+08:00")


def test_an_issue_dated_ahead_does_not_date_later_corrections_ahead(tmp_path: Path) -> None:
    """An issue prepared ahead (dated after the clock) is published with its date; a
    correction found before that date is dated by its file, not a second after it."""
    out = _archived(tmp_path, SMALL)
    ahead = tmp_path / "issues" / "2099-01-02-1.md"
    ahead.write_text("# 云计算技术动态 2099 年第一期\n\n## 分布式系统\n\n**1.** **预告**\n\n"
                     "https://example.com/ahead\n\n**摘要:** 预先写好的一期。\n", encoding="utf-8")
    assert build(tmp_path)[0] == 0
    _, link = _correct(tmp_path)
    ident, _ = _id_of(out, link)
    assert build(tmp_path)[0] == 0
    updated = {e.id: e.updated for e in _document((out / "atom.xml").read_bytes(), "atom")[1]}
    assert updated[ident] == WHEN  # the file's time; the floor 2099-01-02T00:00:01 is ignored
    ahead.unlink()  # and the correction, dated then, does not lift the next one's floor
    oldest = sorted((tmp_path / "issues").glob("*.md"))[0]
    oldest.write_text(oldest.read_text(encoding="utf-8").replace(CORRECTED, "再次更正。"),
                      encoding="utf-8")
    os.utime(oldest, (STAMP - 60, STAMP - 60))
    assert build(tmp_path)[0] == 0
    updated = {e.id: e.updated for e in _document((out / "atom.xml").read_bytes(), "atom")[1]}
    assert updated[ident] == datetime.fromtimestamp(STAMP + 1, TZ).isoformat()
