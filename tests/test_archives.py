"""RFC 5005 archived feeds: a walker written from the RFC reads every feed's whole
history, closed pages never change, and an old page's URL keeps serving its bytes."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conftest import ATOM_RNG, damage_state
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree
from test_build import BASE, CONFIG, all_files, build, write_project

from feeds.builder import (
    ArchivePage,
    FeedInfo,
    Run,
    Serialised,
    archive_runs,
    archive_runs_reference,
    article_slugs,
    newest_stamp,
    plan_feeds,
    runs_identity,
    split_archives,
)
from feeds.config import Config, ConfigError, load_config
from feeds.loader import StoredIssues, StoredMarks, _catalog_row
from feeds.model import IssueSummary, SectionSummary
from feeds.store import Store

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
LIMITS = "max_items = 30\nsection_max_items = 10\ndigest_max_items = 2\n"
SMALL = CONFIG + LIMITS + "archive_page_size = 3\n"
LARGE = CONFIG + LIMITS + "archive_page_size = 40\n"
EVERYTHING = CONFIG + "max_items = 0\nsection_max_items = 0\ndigest_max_items = 0\n"
PAGE = re.compile(r"(?:.*/)?archive/(?:atom|rss|feed)-[a-f][0-9a-f]{11}\.(?:xml|json)")


@dataclass(frozen=True)
class Seen:
    id: str
    title: str
    summary: str
    updated: str


def _links(root: etree._Element, tag: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for link in root.iter(tag):
        found.setdefault(link.get("rel", "alternate"), []).append(link.get("href"))
    return found


def _read(out: Path, url: str) -> bytes:
    assert url.startswith(BASE), url
    return (out / url[len(BASE):]).read_bytes()


def _document(data: bytes, fmt: str) -> tuple[dict[str, list[str]], list[Seen], set[str]]:
    """A feed document's links by rel, its entries and its RFC 5005 marks."""
    if fmt == "json":
        doc = json.loads(data)
        links = {"self": [doc["feed_url"]]}
        if "next_url" in doc:
            links["prev-archive"] = [doc["next_url"]]
        return links, [Seen(i["id"], i["title"], i["summary"], i["date_modified"])
                       for i in doc["items"]], set()
    root = etree.fromstring(data)
    marks = {e.tag[len(FH):] for e in root.iter(f"{FH}*")}
    if fmt == "atom":
        return _links(root, f"{ATOM}link"), [
            Seen(e.findtext(f"{ATOM}id"), e.findtext(f"{ATOM}title"),
                 e.findtext(f"{ATOM}summary"), e.findtext(f"{ATOM}updated"))
            for e in root.iter(f"{ATOM}entry")], marks
    return _links(root[0], f"{ATOM}link"), [
        Seen(i.findtext("guid"), i.findtext("title"), i.findtext("description"),
             i.findtext("pubDate")) for i in root.iter("item")], marks


def walk(out: Path, path: str, repeated: list[str] | None = None
         ) -> tuple[dict[str, Seen], list[str]]:
    """RFC 5005 section 4.2: start at the subscription document, follow prev-archive
    until there is none; an entry seen in a newer document wins. Returns the
    entries and the archive pages' URLs, newest first; asserts each page's marks.
    An entry in two documents (a corrected one, republished in the subscription
    document) is an error unless ``repeated`` collects its id."""
    fmt = "json" if path.endswith(".json") else "rss" if "rss" in path else "atom"
    current = BASE + path
    links, entries, marks = _document(_read(out, current), fmt)
    assert "archive" not in marks
    collected: dict[str, Seen] = {}
    for entry in entries:
        assert entry.id not in collected, "an entry twice in one document"
        collected[entry.id] = entry
    pages: list[str] = []
    while "prev-archive" in links:
        [url] = links["prev-archive"]
        assert url not in pages and PAGE.fullmatch(url[len(BASE):]), url
        pages.append(url)
        links, entries, marks = _document(_read(out, url), fmt)
        if fmt == "json":
            assert links["self"] == [current]  # feed_url names the feed the page belongs to
        else:
            assert marks == {"archive"} and links["current"] == [current]
            assert links["self"] == [url]
        for entry in entries:
            if entry.id in collected:
                assert repeated is not None, "an entry in two documents of one feed"
                repeated.append(entry.id)
                continue
            collected[entry.id] = entry
    return collected, pages


def subscription_feeds(out: Path) -> list[str]:
    return sorted(p for p in all_files(out) if not p.startswith("archive/")
                  and "/archive/" not in p and p.endswith((".xml", ".json"))
                  and p != "feeds.opml")


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same issues built without limits: one complete document per feed."""
    from corpus import write_corpus

    root = tmp_path_factory.mktemp("everything")
    write_project(root, {}, EVERYTHING)
    write_corpus(12, root / "issues")
    assert build(root)[0] == 0
    return root / "output"


def _archived(root: Path, config: str, issues: int = 12) -> Path:
    from corpus import write_corpus

    write_project(root, {}, config)
    write_corpus(issues, root / "issues")
    code, _, err = build(root)
    assert code == 0, err
    return root / "output"


@pytest.mark.parametrize("config", [SMALL, LARGE], ids=["page-3", "page-40"])
def test_walker_collects_every_entry_once_for_every_feed(
        tmp_path: Path, everything: Path, config: str) -> None:
    out = _archived(tmp_path, config)
    feeds = subscription_feeds(out)
    assert feeds == subscription_feeds(everything) and len(feeds) > 9
    paged = 0
    for path in feeds:
        collected, pages = walk(out, path)
        whole, none = walk(everything, path)
        assert none == []
        assert collected == whole, path
        paged += bool(pages)
    assert 0 < paged < len(feeds)
    assert walk(out, "atom.xml")[1] and bool(walk(out, "digest/rss.xml")[1]) == (config == SMALL)


def test_limited_feeds_keep_their_limit_and_only_complete_ones_say_so(
        tmp_path: Path, everything: Path) -> None:
    out = _archived(tmp_path, SMALL)
    for path in ("atom.xml", "rss.xml"):
        _, entries, marks = _document((out / path).read_bytes(), path[:-4])
        assert 30 <= len(entries) < 33 and marks == set()
        _, entries, marks = _document((everything / path).read_bytes(), path[:-4])
        assert marks == {"complete"}
    _, entries, _ = _document((out / "digest/atom.xml").read_bytes(), "atom")
    assert 2 <= len(entries) < 5


def test_pages_are_counted_from_the_oldest_entry() -> None:
    """Archives appear once two pages are closed; until then the feed keeps them."""
    assert split_archives(range(10, 0, -1), 3, 4) == (
        tuple(range(10, 0, -1)), ())  # limit + 2 * page - 1 entries: one page closed
    assert split_archives(range(11, 0, -1), 3, 4) == ((11, 10, 9), ((4, 3, 2, 1), (8, 7, 6, 5)))
    assert split_archives(range(10, 0, -1), 2, 4) == ((10, 9), ((4, 3, 2, 1), (8, 7, 6, 5)))
    assert split_archives(range(12, 0, -1), 3, 4) == (
        (12, 11, 10, 9), ((4, 3, 2, 1), (8, 7, 6, 5)))
    assert split_archives(range(15, 0, -1), 2, 4) == (
        (15, 14, 13), ((4, 3, 2, 1), (8, 7, 6, 5), (12, 11, 10, 9)))
    assert split_archives(range(5, 0, -1), 0, 4) == ((5, 4, 3, 2, 1), ())
    assert split_archives(range(5, 0, -1), 2, 0) == ((5, 4), ())
    assert split_archives(range(2, 0, -1), 3, 1) == ((2, 1), ())


def _feed_of(path: str) -> tuple[str, str]:
    """An archive page's feed folder and format word."""
    folder, _, name = path.rpartition("archive/")
    return folder, name.split("-")[0]


@pytest.mark.parametrize("config", [SMALL, LARGE], ids=["page-3", "page-40"])
def test_a_new_issue_adds_at_most_one_page_per_feed_and_changes_no_page(
        tmp_path: Path, config: str) -> None:
    """At most one new page per feed for each page's worth of new entries, except
    where a feed's first two pages close at once (both appear in the same build)."""
    from corpus import write_corpus

    out = _archived(tmp_path, config)
    before = all_files(out)
    had = {_feed_of(p) for p in before if PAGE.fullmatch(p)}
    [added] = write_corpus(1, tmp_path / "issues", start=12)
    code, _, err = build(tmp_path)
    assert code == 0, err
    after = all_files(out)
    assert all(after[p] == data for p, data in before.items() if PAGE.fullmatch(p))
    new_pages = [p for p in after if p not in before and PAGE.fullmatch(p)]
    assert [p for p in after if p not in before and not PAGE.fullmatch(p)] == [
        "issues/2005-13.html"]  # the new issue's web page (year-number)
    per_feed = [_feed_of(p) for p in new_pages]
    largest_section = max(len(re.findall(r"^\*\*\d+\.", part, re.M))
                          for part in added.read_text(encoding="utf-8").split("\n## ")[1:])
    articles = len(re.findall(r"^\*\*\d+\.", added.read_text(encoding="utf-8"), re.M))
    for feed in set(per_feed):
        size = 40 if config == LARGE else 3
        added_here = 1 if feed[0] == "digest/" else articles if not feed[0] else largest_section
        assert per_feed.count(feed) <= max(1, -(-added_here // size)) + (feed not in had), feed
        assert feed in had or per_feed.count(feed) >= 2, feed  # the first pages: two at once
    if config == LARGE:
        assert 0 < len(per_feed) == len(set(per_feed))
    changed = {p for p in before if after[p] != before[p]}
    assert changed <= {*subscription_feeds(out), "feeds.opml", "sitemap.xml",
                       *(p for p in before if p.endswith(".html"))}  # pages list the new issue


def _archive_links(out: Path, path: str) -> tuple[dict[str, list[str]], set[str]]:
    root = etree.fromstring((out / path).read_bytes())
    return _links(root if "/atom-" in f"/{path}" else root[0], f"{ATOM}link"), \
        {e.tag[len(FH):] for e in root.iter(f"{FH}*")}


@pytest.mark.parametrize("config", [SMALL, LARGE], ids=["page-3", "page-40"])
def test_every_page_links_to_a_neighbour_and_the_two_oldest_to_each_other(
        tmp_path: Path, config: str) -> None:
    """What the W3C checker asks of an archive page (``ArchiveIncomplete``,
    ``MissingCurrentInArchive``): prev-archive or next-archive, and current. The
    oldest page links next-archive to the second oldest, which links prev-archive
    back to it; no other page has next-archive. In Atom and RSS."""
    out = _archived(tmp_path, config)
    chains = 0
    for path in subscription_feeds(out):
        if path.endswith(".json"):
            continue
        _, pages = walk(out, path)
        assert len(pages) != 1, "a feed's archive pages come two or more at once"
        current = BASE + path
        for url in pages:
            links, marks = _archive_links(out, url[len(BASE):])
            assert marks == {"archive"} and links["current"] == [current], url
            assert "prev-archive" in links or "next-archive" in links, url
            expected = {"next-archive": [pages[-2]]} if url == pages[-1] else {}
            assert {rel: v for rel, v in links.items() if rel == "next-archive"} == expected, url
        if pages:
            chains += 1
            oldest, _ = _archive_links(out, pages[-1][len(BASE):])
            second, _ = _archive_links(out, pages[-2][len(BASE):])
            assert "prev-archive" not in oldest and second["prev-archive"] == [pages[-1]]
    assert chains >= 2 and chains % 2 == 0  # each paged feed in Atom and in RSS


def test_the_first_two_pages_close_together_then_one_at_a_time(tmp_path: Path) -> None:
    """The digest (one entry per issue, limit 2, pages of 3) has no archives up to
    seven issues, all of them in its subscription feed; the eighth closes two pages,
    both made in that build; the next page comes with the eleventh issue."""
    from corpus import write_corpus

    out = _archived(tmp_path, SMALL, issues=7)
    seen: list[list[str]] = []
    for added in range(5):
        if added:
            write_corpus(1, tmp_path / "issues", start=6 + added)
            code, _, err = build(tmp_path)
            assert code == 0, err
        files = all_files(out)
        seen.append(sorted(p for p in files if p.startswith("digest/archive/")))
        _, entries, _ = _document(files["digest/atom.xml"], "atom")
        assert len(entries) == [7, 2, 3, 4, 2][added]
    counts = [len(pages) for pages in seen]
    assert counts == [0, 6, 6, 6, 9]  # pages in 3 formats: none, two each, three each
    assert seen[1] == seen[2] == seen[3] and set(seen[3]) < set(seen[4])  # closed pages stay
    _, pages = walk(out, "digest/atom.xml")
    assert len(pages) == 3 and BASE + seen[1][0] in pages


@pytest.mark.parametrize("edited", [0, 1, 2])
def test_a_correction_renames_its_page_and_every_newer_one_and_the_oldest_two_together(
        tmp_path: Path, edited: int) -> None:
    """The two oldest pages are named by both pages' bytes: a correction in either
    renames both (the oldest's bytes change only in its links); one in a newer page
    renames it and the pages after it, not the two oldest. A page written before is
    made again when the page named with it changed (:func:`feeds.render.page_key`)."""
    from dataclasses import replace

    from feeds.builder import ArchivePage
    from feeds.loader import load_issues
    from feeds.parser import ParseOptions
    from feeds.render import render_feeds

    _archived(tmp_path, SMALL)
    config = load_config(tmp_path / "feeds.toml")
    issues = load_issues([tmp_path / "issues"], ParseOptions()).issues
    for info in plan_feeds(issues, config):
        if info.path not in ("atom.xml", "rss.xml"):
            continue
        keys: dict[str, str] = {}
        before = render_feeds([info], config, {}, pages=keys)
        page = info.archives[edited]
        first, *rest = page.entries
        fixed = ArchivePage(page.identity + "-fixed", lambda first=first, rest=rest: (
            replace(first, title="更正后的标题", key=first.key + "-fixed"), *rest))
        archives = (*info.archives[:edited], fixed, *info.archives[edited + 1:])
        after = render_feeds([replace(info, archives=archives)], config, {}, keys)
        names = [p for p in before if PAGE.fullmatch(p)]
        renamed = [p for p in after if PAGE.fullmatch(p)]
        assert len(names) == len(info.archives) > 3
        chain = walk_before({p: b"".join(c) for p, c in before.items()}, info.path)
        new_chain = walk_before({p: b"".join(c) for p, c in {**before, **after}.items()},
                                info.path)
        same = 2 if edited >= 2 else 0  # oldest first: the pages left as they were
        assert chain[::-1][:same] == new_chain[::-1][:same]
        assert not set(chain[::-1][same:]) & set(new_chain[::-1][same:])
        assert set(renamed) == {u[len(BASE):] for u in new_chain[::-1][same:]}  # made again
        if edited == 1:
            old, new = chain[-1][len(BASE):], new_chain[-1][len(BASE):]
            relinked = b"".join(before[old])
            for url_before, url_after in zip(chain[-2:], new_chain[-2:], strict=True):
                relinked = relinked.replace(url_before.encode(), url_after.encode())
            assert relinked == b"".join(after[new])


def test_an_edited_old_article_reaches_the_walker_and_old_urls_keep_their_bytes(
        tmp_path: Path) -> None:
    out = _archived(tmp_path, SMALL)
    before = all_files(out)
    oldest = sorted((tmp_path / "issues").glob("*.md"))[0]
    text = oldest.read_text(encoding="utf-8")
    title = re.search(r"^\*\*1\.\*\* \*\*(.+?)\*\*$", text, re.M)
    assert title is not None, text[:400]
    oldest.write_text(text.replace(title.group(1), "更正后的标题", 1), encoding="utf-8")
    assert build(tmp_path)[0] == 0
    after = all_files(out)
    assert all(after[p] == data for p, data in before.items() if PAGE.fullmatch(p))
    for path in ("atom.xml", "rss.xml", "feed.json"):
        repeated: list[str] = []  # the corrected entry, republished in the subscription feed
        collected, pages = walk(out, path, repeated)
        titles = [s.title for s in collected.values()]
        assert "更正后的标题" in titles and title.group(1) not in titles
        assert len(repeated) == 1 and collected[repeated[0]].title == "更正后的标题"
        assert pages[0] != walk_before(before, path)[0]  # a new chain from the edited page on
    for path in ("atom.xml", "rss.xml"):
        assert after[path] != before[path]


def walk_before(files: dict[str, bytes], path: str) -> list[str]:
    """The prev-archive chain of a feed as a snapshot of the files holds it."""
    fmt = "json" if path.endswith(".json") else "rss" if "rss" in path else "atom"
    chain = []
    links, _, _ = _document(files[path], fmt)
    while "prev-archive" in links:
        url = links["prev-archive"][0]
        chain.append(url)
        links, _, _ = _document(files[url[len(BASE):]], fmt)
    return chain


def test_every_page_reads_in_feedparser_and_is_valid(tmp_path: Path) -> None:
    """XML pages in feedparser (this version reads no JSON Feed) and Atom pages
    against the RFC 4287 schema; JSON pages against the JSON Feed 1.1 schema."""
    from test_formats import jsonfeed_validator

    out = _archived(tmp_path, SMALL)
    schema = etree.RelaxNG(etree.parse(str(ATOM_RNG)))
    pages = [p for p in all_files(out) if PAGE.fullmatch(p)]
    assert len(pages) > 30
    for path in pages:
        if path.endswith(".json"):
            doc = json.loads((out / path).read_bytes())
            assert not list(jsonfeed_validator().iter_errors(doc)) and doc["items"], path
            continue
        parsed = feedparser.parse((out / path).read_bytes())
        assert not parsed.bozo and parsed.entries, path
        if path.endswith(".xml") and "/atom-" in f"/{path}":
            assert schema.validate(etree.parse(str(out / path))), (path, schema.error_log)


def test_superseded_pages_are_kept_and_not_reported_stale(tmp_path: Path) -> None:
    out = _archived(tmp_path, SMALL)
    before = set(all_files(out))
    oldest = sorted((tmp_path / "issues").glob("*.md"))[0]
    text = oldest.read_text(encoding="utf-8")
    oldest.write_text(text.replace("**摘要", "**摘要", 1).replace("** **", "** **更正：", 1),
                      encoding="utf-8")
    code, stdout, err = build(tmp_path)
    assert code == 0 and "stale" not in stdout + err and "warning" not in stdout + err, err
    after = set(all_files(out))
    assert before < after and all(PAGE.fullmatch(p) for p in after - before)


def test_archive_page_size_must_not_be_negative(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text("archive_page_size = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"archive_page_size must be 0 \(no archives\) or more"):
        load_config(path)


def test_closed_pages_are_not_made_again(tmp_path: Path) -> None:
    """A page written before from the same issues is neither rendered nor its entries
    made: only the subscription feeds and the new page are."""
    from feeds.builder import plan_feeds
    from feeds.loader import load_issues
    from feeds.parser import ParseOptions
    from feeds.render import render_feeds

    out = _archived(tmp_path, SMALL)
    config = load_config(tmp_path / "feeds.toml")
    issues = load_issues([tmp_path / "issues"], ParseOptions()).issues
    pages: dict[str, str] = {}
    first = render_feeds(plan_feeds(issues, config), config, {}, {}, pages)
    assert len(pages) == len([p for p in first if PAGE.fullmatch(p)]) > 30 and out.is_dir()
    feeds = plan_feeds(issues, config)
    again = render_feeds(feeds, config, {}, pages, kept := {})
    assert set(again) == {f.path for f in feeds} and kept == pages
    assert all("entries" not in vars(page) for f in feeds for page in f.archives)
    assert {p: b"".join(c) for p, c in again.items()} == {p: b"".join(first[p]) for p in again}


@pytest.mark.parametrize(("config", "told"), [(SMALL, True), (CONFIG + LIMITS + "archive_page_size = 0\n", False)])
def test_the_issue_archive_page_tells_people_the_feeds_hold_every_issue(
        tmp_path: Path, config: str, told: bool) -> None:
    out = _archived(tmp_path, config, issues=3)
    text = (out / "archive.html").read_text(encoding="utf-8")
    assert ('以 <code>rel="prev-archive"</code> 链接最新一页' in text) is told


def test_hosting_serves_every_page_as_immutable_with_its_format_type(tmp_path: Path) -> None:
    from feeds.formats import FORMATS
    from feeds.hosting import IMMUTABLE, SHORT, policy

    out = _archived(tmp_path, SMALL)
    pages = [p for p in all_files(out) if PAGE.fullmatch(p)]
    types = {f.file_name.rpartition(".")[0]: f.media_type for f in FORMATS}
    for path in pages:
        rule = policy(path)
        assert (rule.cache_control, rule.tier, rule.feed) == (IMMUTABLE, 0, False), path
        assert rule.content_type == types[path.rpartition("/")[2].split("-")[0]], path
    assert {policy(p).cache_control for p in subscription_feeds(out)} == {SHORT}
    assert {p.split("/archive/")[0] for p in pages if "/archive/" in p} >= {"digest"}


@pytest.mark.parametrize("damage", ["page", "state"])
def test_a_damaged_page_or_state_is_made_again_not_trusted(tmp_path: Path, damage: str) -> None:
    """Archive pages are made again every build (no record of closed pages is
    trusted): a tampered page, or a damaged state database, changes no page."""
    from corpus import write_corpus

    out = _archived(tmp_path, SMALL)
    pages = sorted(p for p in all_files(out) if PAGE.fullmatch(p))
    before = {p: (out / p).read_bytes() for p in pages}
    if damage == "page":
        (out / pages[0]).write_bytes(b"<feed>tampered</feed>\n")
    else:
        state = tmp_path / ".feeds" / "state.sqlite"
        assert state.is_file()
        state.write_bytes(b"not a database" * 1000)
    write_corpus(1, tmp_path / "issues", start=12)
    code, _, err = build(tmp_path)
    assert code == 0, err
    assert {p: (out / p).read_bytes() for p in pages} == before


# ------------------------------------------------- pages planned from article counts

_SLUGS = ("a", "b", "c")


@st.composite
def _summaries(draw: st.DrawFn) -> list[IssueSummary]:
    """Issues as the catalog holds them: sections of a few slugs (one may come twice,
    or be empty), on dates that often share a day or fall within seconds of another
    issue's, so that their entries interleave."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    issues = []
    for n in range(draw(st.integers(0, 14))):
        sections = tuple(SectionSummary(f"栏目{slug}", slug, 0, draw(st.integers(0, 6)))
                         for slug in draw(st.lists(st.sampled_from(_SLUGS), max_size=4)))
        offset = draw(st.sampled_from([0, 0, 1, 3, 5, 86400 * 7])) * draw(st.integers(0, 12))
        issues.append(IssueSummary(f"issues/{n}.md", "N", 2024 + n % 2, n + 1,
                                   start + timedelta(seconds=offset), sections,
                                   key=f"k{n}"))
    return issues


def _shape(plan: tuple[int, list[tuple[Run, ...]]]) -> tuple[int, list[list[tuple[str, tuple[int, ...]]]]]:
    cut, pages = plan
    return cut, [[(r.issue.path, tuple(r.positions)) for r in page] for page in pages]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_summaries(), st.sampled_from([1, 2, 3, 7, 40]), st.sampled_from([1, 2, 3, 5, 100]))
def test_pages_from_article_counts_equal_pages_from_every_entry(
        issues: list[IssueSummary], limit: int, size: int) -> None:
    """The partition into pages and each page's identity, from the issues' counts per
    section, equal those from sorting a ref per article: same-date issues included."""
    for slug in (None, *_SLUGS):
        fast = archive_runs(reversed(issues), slug, limit, size)
        plain = archive_runs_reference(
            sorted(issues, key=newest_stamp, reverse=True), slug, limit, size)
        assert _shape(fast) == _shape(plain)
        assert [runs_identity(p) for p in fast[1]] == [runs_identity(p) for p in plain[1]]
        assert sum(len(r.positions) for p in fast[1] for r in p) == len(fast[1]) * size


def test_pages_of_same_date_issues_interleave_their_entries() -> None:
    """Two issues on one day (windows overlapping): a page holds their entries in the
    feed's order, newest first, alternating between them as their seconds do."""
    day = datetime(2024, 1, 1, tzinfo=UTC)
    one = IssueSummary("issues/1.md", "N", 2024, 1, day, (SectionSummary("甲", "a", 0, 3),))
    two = IssueSummary("issues/2.md", "N", 2024, 2, day, (SectionSummary("甲", "a", 0, 2),))
    cut, pages = archive_runs([one, two], None, 1, 2)
    # entries (second, issue): (2,1:0) (1,2:0) (1,1:1) (0,2:1) (0,1:2) newest first
    assert cut == 1 and [[(r.issue.number, tuple(r.positions)) for r in page]
                         for page in pages] == [[(2, (1,)), (1, (2,))], [(2, (0,)), (1, (1,))]]


# ------------------------------------------------- closed pages are kept, not made

def _made_pages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the archive pages each following build makes (renders)."""
    from feeds import render

    made: list[str] = []
    real = render._archive_pages

    def counted(*args: object, **kwargs: object) -> Iterator[tuple[object, str, object]]:
        for page, path, chunks in real(*args, **kwargs):  # type: ignore[arg-type]
            made.append(path)
            yield page, path, chunks

    monkeypatch.setattr(render, "_archive_pages", counted)
    return made


def _clean_build(root: Path, tmp_path: Path) -> dict[str, bytes]:
    """The files a build from scratch (no output, no state) of the same project makes."""
    import shutil

    clean = tmp_path / "clean"
    shutil.copytree(root / "issues", clean / "issues")
    shutil.copy(root / "feeds.toml", clean / "feeds.toml")
    code, _, err = build(clean)
    assert code == 0, err
    return all_files(clean / "output")


def test_a_new_issue_makes_no_closed_page_and_loads_no_old_issue(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After one new issue only the new pages are made, and no issue is loaded but
    those the subscription feeds and the new pages carry; the output equals a
    clean build's byte for byte."""
    from corpus import write_corpus

    from feeds import loader

    root = tmp_path / "p"
    out = _archived(root, SMALL + "pages = false\n")  # the web edition reads every issue
    before = all_files(out)
    assert len([p for p in before if PAGE.fullmatch(p)]) > 30
    write_corpus(1, root / "issues", start=12)
    made = _made_pages(monkeypatch)
    loaded: list[str] = []
    real_load = loader.load_issue
    monkeypatch.setattr(loader, "load_issue", lambda summary, *a: (
        loaded.append(summary.path), real_load(summary, *a))[1])
    code, _, err = build(root)
    assert code == 0, err
    after = all_files(out)
    new_pages = sorted(p for p in after if p not in before and PAGE.fullmatch(p))
    assert new_pages and sorted(made) == new_pages
    carried = {(int(y), int(n)) for p in (*made, *subscription_feeds(out))
               for y, n in re.findall(rb"issue-(\d+)-(\d+)", after[p])}
    numbers = {(int(y), int(n)) for y, n in (re.search(r"(\d{4})-\d\d-\d\d-(\d+)\.md$", p)
                                             .groups() for p in loaded)}
    assert numbers and numbers <= carried and len(carried) < 13, (numbers, carried)
    monkeypatch.undo()
    assert _clean_build(root, tmp_path) == {p: after[p] for p in after
                                            if p in before or not PAGE.fullmatch(p)
                                            or p in new_pages}


@pytest.mark.parametrize("change", ["title", "page size", "old article", "base url", "nothing"])
def test_a_rebuild_equals_a_clean_build_whatever_changed(tmp_path: Path, change: str) -> None:
    """Kept pages are right: after a change of config or of an old issue the feeds
    and pages equal a clean build's; the only other files are superseded pages."""
    root = tmp_path / "p"
    out = _archived(root, SMALL)
    before = all_files(out)
    config = root / "feeds.toml"
    if change == "title":
        config.write_text(config.read_text(encoding="utf-8") + 'title = "另一个名字"\n',
                          encoding="utf-8")
    elif change == "page size":
        config.write_text(config.read_text(encoding="utf-8").replace(
            "archive_page_size = 3", "archive_page_size = 4"), encoding="utf-8")
    elif change == "base url":
        config.write_text(config.read_text(encoding="utf-8").replace(
            BASE, "https://mirror.example.org/feeds/"), encoding="utf-8")
    elif change == "old article":
        oldest = sorted((root / "issues").glob("*.md"))[0]
        oldest.write_text(oldest.read_text(encoding="utf-8").replace("**摘要", "**摘要：更正", 1),
                          encoding="utf-8")
    if change == "old article":
        # A corrected entry is republished with a new updated (see builder.dated), which
        # the state records and a build from scratch cannot know: the reference is a
        # build from the same state (issues with their times, .feeds) into no output,
        # where no page can be kept.
        import shutil

        twin = tmp_path / "twin"
        shutil.copytree(root, twin, ignore=shutil.ignore_patterns("output"))
    code, _, err = build(root)
    assert code == 0, err
    after = all_files(out)
    if change == "old article":
        code, _, err = build(twin)
        assert code == 0, err
        clean = all_files(twin / "output")
    else:
        clean = _clean_build(root, tmp_path)
    assert {p: after.get(p) for p in clean} == clean
    assert all(PAGE.fullmatch(p) and p in before for p in set(after) - set(clean))
    assert (after == before) is (change == "nothing")


def test_entries_whose_bytes_were_dropped_are_made_again(tmp_path: Path) -> None:
    """A stored entry is used without its bytes (a section feed carries part of an
    issue, the rest is dropped); when a feed needs bytes that are gone, the issue's
    entries (or its digest entry) are made again: the output equals a clean build's."""
    import sqlite3

    from corpus import write_corpus

    root = tmp_path / "p"
    _archived(root, SMALL + "pages = false\n")
    db = sqlite3.connect(root / ".feeds" / "state.sqlite")
    with db:
        assert db.execute("DELETE FROM fragments").rowcount > 100
    db.close()
    write_corpus(1, root / "issues", start=12)
    code, _, err = build(root)
    assert code == 0, err
    after = all_files(root / "output")
    clean = _clean_build(root, tmp_path)
    assert {p: after.get(p) for p in clean} == clean


@pytest.mark.parametrize("path", ["feeds.opml", "archive/atom-zz.xml", "sections/x/archive/rss-a00000000000.xml"])
def test_a_page_record_naming_another_file_is_not_trusted(tmp_path: Path, path: str) -> None:
    """The state's record of a page names its path: one that is not where a page of
    that feed lives (a damaged or forged row) makes the page again, never links it."""
    import sqlite3

    root = tmp_path / "p"
    out = _archived(root, SMALL + "pages = false\n")
    db = sqlite3.connect(root / ".feeds" / "state.sqlite")
    with db:
        assert db.execute("UPDATE archive_pages SET path = ?", (path,)).rowcount > 30
        db.execute("UPDATE builds SET inputs = ''")  # not a no-op: plan and settle again
    db.close()
    code, _, err = build(root)
    assert code == 0, err
    assert all_files(out) == _clean_build(root, tmp_path)


def test_archive_pages_beyond_the_memory_budget_are_spooled_with_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold build holds made archive pages in memory only up to a budget; the rest
    go through a temporary file and come out byte for byte the same."""
    from feeds import render

    whole = all_files(_archived(tmp_path / "a", SMALL))
    spooled: list[int] = []
    real = render.PageSpool._read

    def counted(file: object, offset: int, size: int) -> object:
        spooled.append(size)
        return real(file, offset, size)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "PAGES_IN_MEMORY", 0)
    monkeypatch.setattr(render.PageSpool, "_read", staticmethod(counted))
    assert all_files(_archived(tmp_path / "b", SMALL)) == whole
    assert len(spooled) == len([p for p in whole if PAGE.fullmatch(p)])


# ------------------------------------------------- planning resumed from the last build's marks

def _put(store: Store, issue: IssueSummary) -> None:
    assert issue.date is not None
    store.put_catalog(issue.path, _catalog_row(issue), newest_stamp(issue), issue.date.timestamp(),
                      [list(s) for s in issue.sections])


def _sections(draw: st.DrawFn) -> tuple[SectionSummary, ...]:
    return tuple(SectionSummary(f"栏目{slug}", slug, 0, draw(st.integers(0, 6)))
                 for slug in draw(st.lists(st.sampled_from(_SLUGS), max_size=4)))


@st.composite
def _history(draw: st.DrawFn) -> list[tuple[str, list[IssueSummary], bool]]:
    """A catalog's history: each step adds an issue after the newest (often a week
    later, sometimes within seconds), adds one among the older ones, edits one's
    sections, moves its date or removes it; after some steps a build plans."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    issues: list[IssueSummary] = []
    steps = []
    for n in range(draw(st.integers(1, 24))):
        kind = draw(st.sampled_from(["append"] * 6 + ["insert", "edit", "redate", "remove"])
                    if issues else st.just("append"))
        at = draw(st.integers(0, len(issues) - 1)) if issues else 0
        if kind in ("append", "insert"):
            newest = max((i.date for i in issues if i.date), default=start)
            if kind == "append":
                date = newest + timedelta(seconds=draw(st.sampled_from([0, 1, 5, 40, 86400 * 7])))
            else:
                assert issues[at].date is not None
                date = issues[at].date - timedelta(seconds=draw(st.sampled_from([0, 2, 86400])))
            issues.append(IssueSummary(f"issues/{n}.md", "N", 2024, n + 1, date,
                                       _sections(draw), key=f"k{n}"))
        elif kind == "edit":
            issues[at] = issues[at]._replace(sections=_sections(draw), key=f"k{n}")
        elif kind == "redate":
            assert issues[at].date is not None
            issues[at] = issues[at]._replace(date=issues[at].date + timedelta(
                seconds=draw(st.sampled_from([-86400, -1, 1, 86400 * 3]))), key=f"k{n}")
        else:
            del issues[at]
        steps.append((kind, list(issues), draw(st.booleans()) or n == 0))
    return steps


def _plan_shape(feeds: list[Any]) -> list[tuple[str, list[str], list[tuple[str, list[str]]]]]:
    """Each feed's path, its entries' keys and its pages' identities and entries' keys."""
    return [(info.path, [e.key for e in info.entries],
             [(page.identity, [e.key for e in page.entries]) for page in info.archives])
            for info in feeds]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_history(), st.sampled_from([1, 2, 3, 7]), st.sampled_from([1, 2, 3, 5]),
       st.sampled_from([0, 1, 4]))
def test_pages_resumed_from_marks_equal_pages_planned_from_every_issue(
        steps: list[tuple[str, list[IssueSummary], bool]], limit: int, size: int,
        digest_limit: int) -> None:
    """After any history of additions (at the end or among older issues), edits, new
    dates and removals, the plan resumed from the last plan's marks (through the
    store, whose triggers note every change to the catalog) equals the plan from
    every issue: every feed's entries and pages (identities and entries, those of the
    pages taken from the marks made on demand) and the reference's pages."""
    config = Config(base_url=BASE, tag_authority="news.example.org", max_items=limit,
                    section_max_items=limit, digest_max_items=digest_limit,
                    archive_page_size=size, formats=("atom",))
    store = Store.memory()
    store.begin()
    marks = StoredMarks(store, "context")
    source = StoredIssues(store)
    held: dict[str, IssueSummary] = {}
    resumed = 0

    def entries_of(issue: Any) -> list[Serialised]:
        slugs = article_slugs(issue)
        return [Serialised(f"{issue.key}:{at}", issue.date + timedelta(seconds=len(slugs) - 1 - at),
                           issue.date + timedelta(seconds=len(slugs) - 1 - at), f"栏目{slug}")
                for at, slug in enumerate(slugs)]

    def digest_of(issue: Any) -> Serialised:
        return Serialised(f"{issue.key}:digest", issue.date, issue.date, "")

    for _, issues, plan in steps:
        now = {i.path: i for i in issues}
        store.drop_catalog([p for p in held if held[p] != now.get(p)])
        for path, issue in now.items():
            if held.get(path) != issue:
                _put(store, issue)
        held = now
        if not plan:
            continue
        plain = _plan_shape(plan_feeds(source, config, entries_of=entries_of,
                                       digest_of=digest_of))
        resumed += marks.last() is not None
        fast = _plan_shape(plan_feeds(source, config, entries_of=entries_of,
                                      digest_of=digest_of, marks=marks))
        assert fast == plain
        for slug in (None, *_SLUGS):
            reference = archive_runs_reference(source.by_newest(slug), slug, limit, size)[1]
            path = f"sections/{slug}/atom.xml" if slug else "atom.xml"
            assert [i for p, _, pages in fast if p == path for i, _ in pages] == \
                [runs_identity(p) for p in reference]
    event(f"resumed {min(resumed, 3)}+")


def _reference_build(root: Path, tmp_path: Path, corrected: bool) -> dict[str, bytes]:
    """What a build of the same project makes with every page planned from every issue:
    from scratch (no output, no state); after a correction (whose ``updated`` only the
    state knows, see builder.dated) from a copy of the state without its marks."""
    import shutil
    import sqlite3

    twin = Path(tempfile.mkdtemp(dir=tmp_path))
    shutil.copytree(root / "issues", twin / "issues")
    shutil.copy(root / "feeds.toml", twin / "feeds.toml")
    if corrected:
        shutil.copytree(root / ".feeds", twin / ".feeds")
        db = sqlite3.connect(twin / ".feeds" / "state.sqlite")
        with db:
            assert db.execute("DELETE FROM archive_marks").rowcount == 1
        db.close()
    code, _, err = build(twin)
    assert code == 0, err
    return all_files(twin / "output")


def test_every_rebuild_equals_a_build_from_scratch_whatever_the_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A history of changes, each followed by a rebuild in place: new issues at the end
    (planned from the marks, reading only the newest issues), an older issue added,
    a file removed, an issue on the newest one's day, tampered and deleted pages, a new
    page size, a correction, an old issue's sections cut, its date moved. After each,
    every published file equals a build from scratch byte for byte (after an edit of a
    published issue, which dates its changed entries by the state's records: a build
    from the same state without its marks), and the output holds nothing else but
    files superseded (left in place)."""
    import random

    from corpus import issue_text, write_corpus

    from feeds import builder, loader

    root = tmp_path / "p"
    out = _archived(root, SMALL + "pages = false\n")  # the web edition: tested elsewhere
    issues = root / "issues"
    calls: list[str] = []
    real_since, real_everything = loader.StoredMarks.since, builder._Archives.everything
    monkeypatch.setattr(loader.StoredMarks, "since", lambda self, place: (
        calls.append("since"), real_since(self, place))[1])
    monkeypatch.setattr(builder._Archives, "everything", lambda self: (
        calls.append("everything"), real_everything(self))[1])

    def oldest(at: int) -> Path:
        return sorted(issues.glob("*.md"))[at]

    def append(start: int, n: int = 1) -> None:
        write_corpus(n, issues, start=start)  # weekly: issue 15 is dated 2005-04-18

    def edit(path: Path, change: Callable[[str], str]) -> None:
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")

    def tamper() -> None:
        pages = sorted(p for p in all_files(out) if PAGE.fullmatch(p))
        (out / pages[len(pages) // 2]).write_bytes(b"<feed>tampered</feed>\n")
        (out / pages[-1]).unlink()

    steps: list[tuple[str, Callable[[], None], str]] = [
        ("one new issue", lambda: append(12), "resumed"),
        ("an older issue", lambda: (issues / "2005-01-19-60.md").write_text(
            issue_text(random.Random(1), 2005, 60, [900000]), encoding="utf-8"), "planned"),
        ("three new issues", lambda: append(13, 3), "resumed"),
        ("file removed", lambda: oldest(6).unlink(), "planned"),
        ("same day", lambda: (issues / "2005-04-18-70.md").write_text(
            "---\ndate: 2005-04-18\n---\n" + issue_text(random.Random(2), 2005, 70, [910000]),
            encoding="utf-8"), "planned"),
        ("pages tampered", tamper, "resumed, pages made"),
        ("page size", lambda: edit(root / "feeds.toml", lambda t: t.replace(
            "archive_page_size = 3", "archive_page_size = 4")), "planned"),
        ("new issue after that", lambda: append(17), "resumed"),
        ("correction", lambda: edit(oldest(1), lambda t: t.replace("**摘要:** ", "**摘要:** 更正",
                                                                   1)), "planned"),
        ("sections cut", lambda: edit(oldest(2), lambda t: t.rsplit("\n## ", 1)[0] + "\n"),
         "planned"),
        ("date moved", lambda: edit(oldest(4), lambda t: "---\ndate: 2005-02-01\n---\n" + t),
         "planned"),
        ("new issue after the correction", lambda: append(18), "resumed"),
    ]
    corrected = False
    for name, change, how in steps:
        before = all_files(out)
        change()
        corrected = corrected or name == "correction"  # and the edits after it
        calls.clear()
        code, _, err = build(root)
        assert code == 0, (name, err)
        assert {"resumed": ["since"], "resumed, pages made": ["everything", "since"],
                "planned": ["everything"]}[how] == sorted(set(calls)), name
        after = all_files(out)
        reference = _reference_build(root, tmp_path, corrected)
        assert {p: after.get(p) for p in reference} == reference, name
        assert set(after) - set(reference) <= set(before), name  # superseded, left in place


@pytest.mark.parametrize(("damage", "remove"), [
    *((f"UPDATE archive_marks SET marks = '{marks}'", False) for marks in [
        "not json", '{"": [["a"], 0, [0, 0, 0]]}', '{"": [[], 7, [0, 0, 0]]}',
        '{"": [[], 0, "x"]}', "[]", "{}"]),
    # what a hostile tester found trusted: no catalog time, or triggers that no longer
    # record a change, when an old issue is then removed
    ("UPDATE archive_marks SET newest = NULL", True),
    ("DROP TRIGGER archive_marks_added; DROP TRIGGER archive_marks_dropped; "
     "DROP TRIGGER archive_marks_changed", True),
    ("DROP TRIGGER archive_marks_dropped; CREATE TRIGGER archive_marks_dropped AFTER DELETE "
     "ON catalog BEGIN SELECT 1; END", True)])
def test_damaged_marks_mean_planning_from_every_issue(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str, remove: bool) -> None:
    """A marks row that cannot be read, says what no build makes (one closed page,
    entries before the first page, no mark for a feed that had entries), or that the
    catalog's triggers no longer keep, is not used: the pages are planned from every
    issue and the rebuild equals a build from scratch."""
    import sqlite3

    from corpus import write_corpus

    from feeds import builder

    root = tmp_path / "p"
    _archived(root, SMALL + "pages = false\n")
    db = sqlite3.connect(root / ".feeds" / "state.sqlite")
    with db:
        db.executescript(damage)
    db.close()
    next((root / "output" / "archive").iterdir()).unlink()  # a page only a full plan makes
    write_corpus(1, root / "issues", start=12)
    if remove:
        sorted((root / "issues").glob("*.md"))[1].unlink()
    planned: list[bool] = []
    real = builder._Archives.everything
    monkeypatch.setattr(builder._Archives, "everything",
                        lambda self: (planned.append(True), real(self))[1])
    code, _, err = build(root)
    assert code == 0, err
    assert planned
    after = all_files(root / "output")
    clean = _reference_build(root, tmp_path, corrected=False)
    assert {p: after.get(p) for p in clean} == clean


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(), min_size=8, max_size=8))
def test_settle_keys_pages_as_page_key_does(texts: list[str]) -> None:
    """settle_archives hashes a feed's part of a page's key once: every key it makes
    is still :func:`feeds.render.page_key`'s, for any text (lone surrogates too)."""
    from feeds.render import _page_keys, page_key

    context, path, url, title, description, prev, one, two = texts
    info = FeedInfo(path=path, format="atom", title=title, description=description, url=url,
                    slug="", entries=())
    older, newer = ArchivePage(one, tuple), ArchivePage(two, tuple)
    key = _page_keys(info, context)
    assert key(prev, older, newer) == page_key(info, prev, older, newer, context)
    assert key(prev, newer) == page_key(info, prev, newer, None, context)
    assert key(prev + "\ud800", older) == page_key(info, prev + "\ud800", older, None, context)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["", "sections/ai-ml", "digest", "a.b"]), st.sampled_from(["atom", "rss", "json"]),
       st.text(alphabet="abcdefgz0129.-/_xmlsonatr\n", max_size=40), st.booleans())
def test_a_page_path_is_told_as_the_feeds_own_pattern_tells_it(folder: str, fmt: str, text: str,
                                                               near: bool) -> None:
    """Whether a recorded path is where a page of the feed lives is what the feed's own
    regular expression (its folder and file name around a page's name) says."""
    from feeds.render import _page_path_pattern, archive_page_path

    head, _, tail = archive_page_path(folder, fmt, "\0").partition("\0")
    own = re.compile(f"{re.escape(head)}[a-f][0-9a-f]{{11}}{re.escape(tail)}")
    path = f"{head}{text}{tail}" if near else text  # mostly near misses, some pages
    for candidate in (path, archive_page_path(folder, fmt, ("a" + text + "0" * 11)[:12])):
        assert (_page_path_pattern(folder, fmt)(candidate) is None) is \
            (own.fullmatch(candidate) is None), candidate


@pytest.fixture
def settle_marked(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each build settled its archive pages from the last build's marks."""
    import feeds.site

    taken: list[bool] = []
    real = feeds.site._settle_marked

    def watched(*args: Any) -> object:
        made = real(*args)
        taken.append(made is not None)
        return made

    monkeypatch.setattr(feeds.site, "_settle_marked", watched)
    return taken


def _keyed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The archive page keys each build makes."""
    from feeds import render

    made: list[str] = []
    real = render._page_keys

    def counted(info: Any, context: str) -> Callable[..., str]:
        key = real(info, context)

        def each(*args: Any) -> str:
            made.append(key(*args))
            return made[-1]
        return each

    monkeypatch.setattr(render, "_page_keys", counted)
    return made


def test_settle_marks_key_only_the_pages_made_since(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settle_marked: list[bool]) -> None:
    """With the last build's marks, new issues make no key of a page published before
    (only one past each feed's newest, and those of the pages made now), and the
    output equals a clean build's, build after build."""
    from corpus import write_corpus

    root = tmp_path / "p"
    out = _archived(root, SMALL + "pages = false\n")
    published = {p for p in all_files(out) if PAGE.fullmatch(p)}
    assert len(published) > 60
    keyed = _keyed(monkeypatch)
    for start in (12, 13):
        keyed.clear()
        write_corpus(1, root / "issues", start=start)
        code, _, err = build(root)
        assert code == 0, err
        after = all_files(out)
        made = {p for p in after if PAGE.fullmatch(p)} - published
        assert made  # pages closed by the new issue
        feeds = len({p.rpartition("archive/")[0] + p.rpartition("-")[0][-4:] for p in after
                     if PAGE.fullmatch(p)})
        assert len(keyed) <= feeds + 2 * len(made)
        published |= made
        assert after == _clean_build(root, tmp_path / str(start))
    assert settle_marked == [False, True, False, True, False]  # a build from scratch: none


def _bump_a_mark(db: Any) -> None:
    [(name, value)] = db.execute("SELECT name, value FROM meta WHERE name LIKE 'settled%'")
    context, records, marks = json.loads(value)
    path = sorted(marks)[0]
    marks[path][0] += 1
    db.execute("UPDATE meta SET value = ? WHERE name = ?",
               (json.dumps([context, records, marks]), name))


def _older_last(db: Any) -> None:
    """A feed's newest page named by another page's key (of that feed)."""
    [(name, value)] = db.execute("SELECT name, value FROM meta WHERE name LIKE 'settled%'")
    context, records, marks = json.loads(value)
    path = sorted(marks)[0]
    folder, _, file = path.rpartition("/")
    word, _, ext = file.rpartition(".")
    pages = f"{folder}/archive/{word}-%.{ext}" if folder else f"archive/{word}-%.{ext}"
    [(other,)] = db.execute("SELECT key FROM archive_pages WHERE key != ? AND path LIKE ? "
                            "ORDER BY key LIMIT 1", (marks[path][2], pages))
    marks[path][2] = other
    db.execute("UPDATE meta SET value = ? WHERE name = ?",
               (json.dumps([context, records, marks]), name))


@pytest.mark.parametrize("damage", [
    "UPDATE archive_pages SET key = (CASE WHEN substr(key, 1, 1) = 'f' THEN 'e' ELSE 'f' "
    "END) || substr(key, 2) WHERE rowid = (SELECT min(rowid) FROM archive_pages)",
    "DELETE FROM archive_pages WHERE rowid = (SELECT max(rowid) FROM archive_pages)",
    "UPDATE meta SET value = '[1' WHERE name LIKE 'settled%'",
    "UPDATE meta SET value = '[\"x\", \"y\", {}]' WHERE name LIKE 'settled%'",
    _bump_a_mark,
    _older_last,
    "deleted page"])
def test_settle_marks_are_refused_on_any_doubt(
        tmp_path: Path, settle_marked: list[bool], damage: str | Callable[[Any], None]) -> None:
    """Records of pages changed or missing, marks damaged or saying what no build
    saves, a page file gone: the pages are settled from every record, and a new issue
    gives a clean build's output."""

    from corpus import write_corpus

    root = tmp_path / "p"
    out = _archived(root, SMALL + "pages = false\n")
    if damage == "deleted page":
        sorted(p for p in (out / "archive").iterdir())[0].unlink()
    else:
        damage_state(root, damage)
    write_corpus(1, root / "issues", start=12)
    code, _, err = build(root)
    assert code == 0, err
    assert settle_marked == [False, False]  # the first build too: no marks yet
    assert all_files(out) == _clean_build(root, tmp_path)
