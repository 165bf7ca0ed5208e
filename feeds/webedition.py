"""The web edition, made incrementally: only the pages whose content changed are rendered.

Each page has a key, a digest of everything its bytes depend on: the code and
templates, the configuration, and what it shows (an issue page: its issue, its
neighbours' links and its sections' feeds; a section page: the issues and
articles it lists and its feeds; the archive: every issue's link; the home
page: the latest issue and the recent links). A page whose key is the one the
last build recorded, and whose file is as that build left it, is kept without
being rendered (:data:`feeds.writer.KEEP`).

The plan works on the catalog's issue summaries; whole issues are loaded only
for the pages rendered. :func:`feeds.pages.site_pages`, which renders every
page from whole issues, is the reference these bytes must equal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from feeds.builder import FeedInfo, issue_label
from feeds.config import Config
from feeds.model import Issue, IssueSummary
from feeds.pages import (
    PARALLEL_MIN_PAGES,
    RECENT_ISSUES,
    FeedGroup,
    IssueRef,
    SectionArticles,
    _day,
    _Renderer,
    issue_path,
    section_path,
    sitemap,
    with_page_urls,
)
from feeds.parallel import parallel_map
from feeds.writer import KEEP, Keep
from feeds.xmltext import clean


@dataclass(frozen=True)
class WebEdition:
    """The files of the web edition (bytes, or KEEP for a page left as published),
    every page's key by its path, and the front matter URL of each issue loaded
    on the way, by its catalog key (see :meth:`feeds.store.Store.page_urls`)."""

    files: dict[str, bytes | Keep]
    keys: dict[str, str]
    urls: dict[str, str]


def summary_ref(summary: IssueSummary, url: str, config: Config) -> IssueRef:
    """The issue link :func:`feeds.pages._ref` makes of the whole issue, from its
    summary and its front matter ``url``."""
    path = issue_path(summary)
    own = url if url and url != config.base_url + path else ""
    return IssueRef(clean(issue_label(summary)), path, _day(summary.date), summary.year,
                    summary.number, sum(s.articles for s in summary.sections), own)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _ref_id(ref: IssueRef | None) -> str:
    if ref is None:
        return "-"
    return repr((ref.label, ref.path, ref.date, ref.year, ref.number, ref.articles, ref.url))


def _issue_id(summary: IssueSummary) -> str:
    """What a loaded issue's content depends on: its parse key (the file's bytes, its
    shown path, the parser), and its date as the catalog filled it in."""
    when = summary.date.isoformat() if summary.date else ""
    return repr((summary.key, summary.path, when, summary.date_source))


def _group_id(group: FeedGroup | None) -> str:
    """A feed group as the templates show it (see README, "The web edition")."""
    if group is None:
        return "-"
    return repr((group.title, group.description, group.slug, group.page,
                 tuple((f.path, f.format, f.title, f.description, f.url, f.slug, f.folder)
                       for f in group.formats)))


def web_edition(summaries: Sequence[IssueSummary], load: Callable[[IssueSummary], Issue],
                feeds: Sequence[FeedInfo], config: Config, stamp: str,
                urls: Mapping[str, str], last: Mapping[str, str],
                intact: Callable[[str], bool]) -> WebEdition:
    """The web edition's files, as :func:`feeds.pages.site_pages` makes them from the
    whole issues, rendering only the pages whose key is not in ``last`` or whose file
    is not ``intact``. ``summaries`` are oldest first; ``load`` gives the whole issue
    behind one (as parsed, without its page's URL); ``stamp`` stands for the code,
    templates and configuration; ``urls`` are the known front matter URLs."""
    r = _Renderer(config, feeds)
    combined = r.combined.formats if r.combined else ()
    base = _digest(stamp, _group_id(r.combined), repr(sorted(r.site.items())))
    files: dict[str, bytes | Keep] = {}
    keys: dict[str, str] = {}
    lastmod: dict[str, str] = {}
    learned: dict[str, str] = {}
    loaded: dict[int, Issue] = {}

    def issue_at(at: int) -> Issue:
        if at not in loaded:
            issue = load(summaries[at])
            learned[summaries[at].key] = issue.url
            loaded[at] = with_page_urls([issue], config)[0]
        return loaded[at]

    def wanted(path: str, key: str) -> bool:
        """Record the page's key; whether it must be rendered."""
        keys[path] = key
        if last.get(path) == key and intact(path):
            files[path] = KEEP
            return False
        return True

    for at, summary in enumerate(summaries):
        if summary.key not in urls:
            issue_at(at)  # its URL is not known yet (a cold build: every page is rendered)
    known = {**urls, **learned}
    refs = [summary_ref(s, known[s.key], config) for s in summaries]
    ids = [_ref_id(ref) for ref in refs]
    groups = {slug: _group_id(group) for slug, group in r.groups.items()}

    todo: list[int] = []
    for at, summary in enumerate(summaries):
        path = refs[at].path
        own = [groups[s.slug] for s in summary.sections if s.articles and s.slug in groups]
        key = _digest(base, "issue", _issue_id(summary), ids[at],
                      ids[at - 1] if at else "-",
                      ids[at + 1] if at + 1 < len(ids) else "-", *own)
        if wanted(path, key):
            todo.append(at)
        lastmod[path] = refs[at + 1].date if at + 1 < len(refs) else refs[at].date

    def issue_page(at: int) -> bytes:
        issue = loaded[at]
        own = tuple(r.groups[s.slug] for s in issue.sections if s.articles and s.slug in r.groups)
        return r.render("issue.html", refs[at].path, refs[at].label, combined, issue=issue,
                        ref=refs[at], previous=refs[at - 1] if at else None,
                        next=refs[at + 1] if at + 1 < len(refs) else None, feeds=own)

    if todo:
        for at in todo:
            issue_at(at)
        r.template("issue.html")  # compiled once, before any worker is forked
        for at, page in zip(todo, parallel_map(issue_page, todo, PARALLEL_MIN_PAGES),
                            strict=True):
            files[refs[at].path] = page

    totals: dict[str, int] = {}
    for summary in summaries:
        for s in summary.sections:
            totals[s.slug] = totals.get(s.slug, 0) + s.articles
    for slug, group in sorted(r.groups.items()):
        if slug:
            _section_page(slug, group, totals.get(slug, 0), summaries, refs, ids, issue_at, r,
                          config, base, wanted, files, lastmod)

    newest = refs[-1].date if refs else ""
    archived = any(f.archives for f in feeds)
    if wanted("archive.html", _digest(base, "archive", repr(archived), *ids)):
        years: dict[int, list[IssueRef]] = {}
        for ref in reversed(refs):
            years.setdefault(ref.year, []).append(ref)
        files["archive.html"] = r.render("archive.html", "archive.html", "往期目录", combined,
                                         years=tuple((y, tuple(v)) for y, v in years.items()),
                                         archived=archived)
    lastmod["archive.html"] = newest

    recent = refs[-RECENT_ISSUES - 1:-1][::-1] if refs else []
    sections = tuple(g for s, g in sorted(r.groups.items()) if s)
    latest = len(summaries) - 1
    if wanted("index.html", _digest(
            base, "index", _issue_id(summaries[latest]) if summaries else "-",
            ids[latest] if ids else "-", *(_ref_id(ref) for ref in recent),
            _group_id(r.digest), *(groups[g.slug] for g in sections))):
        files["index.html"] = r.render(
            "index.html", "index.html", r.site["title"],
            (*combined, *(r.digest.formats if r.digest else ())), digest=r.digest,
            latest=issue_at(latest) if summaries else None,
            latest_ref=refs[-1] if refs else None, recent=tuple(recent), sections=sections)
    lastmod["index.html"] = newest

    if wanted("sitemap.xml", _digest(base, "sitemap", *(f"{p}\0{d}" for p, d in
                                                          sorted(lastmod.items())))):
        files["sitemap.xml"] = sitemap(lastmod, config)
    if wanted("style.css", _digest(base, "style")):
        files["style.css"] = r.template("style.css").render().encode("utf-8")
    return WebEdition(files, keys, learned)


def _section_page(slug: str, group: FeedGroup, total: int, summaries: Sequence[IssueSummary],
                  refs: Sequence[IssueRef], ids: Sequence[str], issue_at: Callable[[int], Issue],
                  r: _Renderer, config: Config, base: str, wanted: Callable[[str, str], bool],
                  files: dict[str, bytes | Keep], lastmod: dict[str, str]) -> None:
    """A section's page: its newest articles, grouped by issue, up to the section
    feed's limit (planned from the summaries; only the issues shown are loaded)."""
    shown: list[tuple[int, int, int]] = []  # issue, section's place in it, articles taken
    kept, limit = 0, config.section_max_items
    for at in range(len(summaries) - 1, -1, -1):
        if limit and kept >= limit:
            break
        for place, summary in enumerate(summaries[at].sections):
            if summary.slug == slug and summary.articles:
                take = min(summary.articles, limit - kept) if limit else summary.articles
                kept += take
                shown.append((at, place, take))
    name = group.formats[0].entries[0].section_name if group.formats[0].entries else slug
    path = section_path(slug)
    lastmod[path] = refs[shown[0][0]].date if shown else ""
    key = _digest(base, "section", slug, _group_id(group), name, repr((kept, kept < total)),
                  *(f"{_issue_id(summaries[at])}{ids[at]}{place}\0{take}"
                    for at, place, take in shown))
    if not wanted(path, key):
        return
    blocks = []
    for at, place, take in shown:
        section = issue_at(at).sections[place]
        blocks.append(SectionArticles(refs[at], section, section.articles[:take]))
    combined = r.combined.formats if r.combined else ()
    files[path] = r.render("section.html", path, clean(name), (*combined, *group.formats),
                           name=clean(name), feed=group, blocks=tuple(blocks),
                           limited=kept < total, count=kept)
