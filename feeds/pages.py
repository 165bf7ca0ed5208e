"""The web edition and the feeds' companions: HTML pages from Jinja2 templates,
``sitemap.xml``, ``style.css`` and ``feeds.opml``.

Pages link to each other and to ``style.css`` with relative URLs, so the
folder works on any static host, under any prefix, and from disk; what a
reader copies or a crawler reads (feed URLs, canonical and sitemap URLs) is
absolute, from ``base_url``. Every page depends only on what it shows, so a
new issue changes its own page, its neighbour's, the sections it touches, the
archive, the home page and the sitemap, and no other file.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from html import escape
from typing import NamedTuple

import jinja2
from markupsafe import Markup

from feeds import precompiled
from feeds.builder import DIGEST_FOLDER, FeedInfo, issue_label
from feeds.config import Config
from feeds.model import Article, Issue, IssueSummary, Section, TemplateError
from feeds.parallel import parallel_map
from feeds.sources import template_stamp  # noqa: F401 (kept importable from here)
from feeds.urls import published_url
from feeds.xmltext import clean

PACKAGE_TEMPLATES = precompiled.TEMPLATES
ARCHIVE_YEAR = "archive_year.html"  # one year's section of archive.html (see _Renderer.archive)
RECENT_ISSUES = 10
PARALLEL_MIN_PAGES = 200
STREAM_PART = 1 << 16  # characters of a streamed page made before they are handed on
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def issue_path(issue: Issue | IssueSummary) -> str:
    """The permanent path of an issue's page inside ``output/``."""
    return numbered_path(issue.year, issue.number)


def numbered_path(year: int, number: int) -> str:
    """The permanent path of the page of issue ``number`` of ``year``."""
    return f"issues/{year}-{number}.html"


def section_path(slug: str) -> str:
    """The permanent path of a section's page inside ``output/``."""
    return f"sections/{slug}/index.html"


def home_path(slug: str) -> str:
    """The page a feed's ``rel="alternate"`` link points to."""
    return section_path(slug) if slug else "index.html"


def with_page_urls(issues: Sequence[Issue], config: Config) -> list[Issue]:
    """The issues, each without a ``url`` of its own given its page's URL."""
    return [i if i.url else replace(i, url=config.base_url + issue_path(i)) for i in issues]


# -- what the templates receive (documented in README, "The web edition")

class IssueRef(NamedTuple):
    """A link to an issue's page (a tuple: the archive page has one per issue)."""

    label: str
    path: str
    date: str
    year: int
    number: int
    articles: int
    url: str  # the editor's own page for the issue (front matter ``url``), or ""


@dataclass(frozen=True)
class FeedGroup:
    """One feed in every format: the combined feed (``slug`` empty) or a section's."""

    title: str
    description: str
    slug: str
    page: str
    formats: tuple[FeedInfo, ...]


@dataclass(frozen=True)
class SectionArticles:
    """A section's articles in one issue, for the section's page."""

    issue: IssueRef
    section: Section
    articles: tuple[Article, ...]


def _day(when: datetime | None) -> str:
    return when.date().isoformat() if when else ""


def _ref(issue: Issue, config: Config) -> IssueRef:
    path = issue_path(issue)
    own = issue.url if issue.url != config.base_url + path else ""
    return IssueRef(clean(issue_label(issue)), path, _day(issue.date), issue.year,
                    issue.number, len(issue.articles), own)


def _groups(feeds: Sequence[FeedInfo]) -> dict[str, FeedGroup]:
    """The combined feed (key ``""``) and each section's, in all their formats."""
    by_slug: dict[str, list[FeedInfo]] = {}
    for feed in feeds:
        if feed.folder != DIGEST_FOLDER:
            by_slug.setdefault(feed.slug, []).append(feed)
    return {slug: FeedGroup(clean(infos[0].title), clean(infos[0].description), slug,
                            home_path(slug), tuple(infos)) for slug, infos in by_slug.items()}


def template_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """The environment every page is rendered in, around ``loader``; the package's
    templates are compiled ahead of time in it too (:mod:`feeds.precompiled`)."""
    env = jinja2.Environment(
        loader=loader, autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, auto_reload=False)
    env.filters["href"] = _href
    return env


def _href(url: object) -> str:
    """The ``href`` filter: :func:`~feeds.urls.published_url`, whose answers are
    remembered; a value that cannot be (a list or dict, in a template of the user's)
    gets the plain function's own error, which says a string was expected, not
    "unhashable type"."""
    try:
        return published_url(url)
    except TypeError:
        return published_url.__wrapped__(url)


def _environment(config: Config) -> jinja2.Environment:
    """The user's templates first, then the package's; without a folder of the user's,
    the package's as compiled ahead of time when they are current."""
    if config.templates:
        return template_environment(
            jinja2.FileSystemLoader([config.templates, str(PACKAGE_TEMPLATES)]))
    return template_environment(precompiled.loader() or jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)))


YearMaker = Callable[[int, Sequence[IssueRef], Callable[[], str]], str]


class _Renderer:
    """Renders one page kind after another with shared site-wide context."""

    def __init__(self, config: Config, feeds: Sequence[FeedInfo]) -> None:
        self.env = _environment(config)
        self.config = config
        self.folder = os.path.abspath(config.templates) if config.templates else ""
        groups = _groups(feeds)
        self.combined = groups.get("")
        self.groups = groups
        digest = tuple(f for f in feeds if f.folder == DIGEST_FOLDER)
        self.digest = FeedGroup(clean(digest[0].title), clean(digest[0].description),
                                DIGEST_FOLDER, "archive.html", digest) if digest else None
        self.site = {
            "title": clean(self.combined.title if self.combined else config.title or "Newsletter"),
            "description": clean(config.description),
            "language": config.language,
            "base_url": config.base_url,
        }

    def template(self, name: str) -> jinja2.Template:
        """The template ``name``, from the user's folder or the package."""
        try:
            return self.env.get_template(name)
        except Exception as exc:
            raise self.error(exc, name) from None

    @functools.cached_property
    def package_only(self) -> bool:
        """Whether every page is made by the package's own templates: no file of the
        user's folder replaces one of them."""
        if not self.folder:
            return True
        return not any(os.path.isfile(os.path.join(self.folder, name))
                       for name in os.listdir(PACKAGE_TEMPLATES))

    def error(self, exc: Exception, name: str) -> Exception:
        """What a failure while loading or rendering ``name`` is raised as: a template
        error, or, with no template of the user's in play, the package's own bug as it is."""
        if isinstance(exc, TemplateError):
            return exc
        if isinstance(exc, jinja2.TemplateSyntaxError):
            return _template_error(exc, name)
        template = isinstance(exc, jinja2.TemplateError)  # an undefined name, say
        if self.package_only and not template:
            return exc
        own = os.path.join(self.folder, name) if self.folder else ""
        where = (self.folder and _failed_at(exc, self.folder)) \
            or (own if own and os.path.isfile(own) else name)
        return TemplateError(f"{where}: error: "
                             + (str(exc) if template else f"{type(exc).__name__}: {exc}"))

    def _page(self, path: str, title: str, alternates: Sequence[FeedInfo]) -> dict[str, object]:
        return {"path": path, "title": title, "url": self.config.base_url + path,
                "root": "../" * path.count("/"), "alternates": tuple(alternates)}

    def render(self, template: str, path: str, title: str, alternates: Sequence[FeedInfo],
               **context: object) -> bytes:
        page = self._page(path, title, alternates)
        try:
            text = self.template(template).render(
                site=self.site, page=page, combined=self.combined, **context)
        except Exception as exc:  # also a syntax error in a template it imports
            raise self.error(exc, template) from None
        return clean(text).encode("utf-8")  # control characters HTML forbids, from any field

    def archive(self, years: Sequence[tuple[int, Sequence[IssueRef]]], archived: bool,
                made: YearMaker | None = None) -> bytes:
        """``archive.html``. Its template calls ``year_section(year, refs)`` for each
        year, which renders ``archive_year.html`` with the page's context and the year's
        (``year``, ``refs``); ``made``, when given, is asked for each year's part instead
        (with what the template passed and how to render it), so a build can reuse a
        part made before. A template that does not call it renders every year itself."""
        combined = self.combined.formats if self.combined else ()
        page = self._page("archive.html", "往期目录", combined)

        def year_section(year: int, refs: Sequence[IssueRef]) -> Markup:
            def render() -> str:
                try:
                    return self.template(ARCHIVE_YEAR).render(
                        site=self.site, page=page, combined=self.combined, archived=archived,
                        year=year, refs=refs)
                except Exception as exc:
                    raise self.error(exc, ARCHIVE_YEAR) from None
            return Markup(render() if made is None else made(year, refs, render))

        return self.render("archive.html", "archive.html", "往期目录", combined, years=years,
                           archived=archived, year_section=year_section)

    def stream(self, template: str, path: str, title: str, alternates: Sequence[FeedInfo],
               **context: object) -> Iterator[bytes]:
        """:meth:`render`'s bytes in parts, as the template makes them: a long page is
        never held whole."""
        page = self._page(path, title, alternates)
        try:
            parts: list[str] = []
            size = 0
            for part in self.template(template).generate(
                    site=self.site, page=page, combined=self.combined, **context):
                parts.append(part)
                size += len(part)
                if size >= STREAM_PART:
                    yield clean("".join(parts)).encode("utf-8")
                    parts, size = [], 0
            yield clean("".join(parts)).encode("utf-8")
        except Exception as exc:
            raise self.error(exc, template) from None

    def plain(self, name: str) -> bytes:
        """A template rendered without context (``style.css``)."""
        try:
            return self.template(name).render().encode("utf-8")
        except Exception as exc:
            raise self.error(exc, name) from None


def _template_error(exc: jinja2.TemplateError, name: str) -> TemplateError:
    """A compiler-style message: the file and line of a syntax error, else the template."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: error: {exc.message}")
    return TemplateError(f"{name}: error: {exc}")


def _failed_at(exc: BaseException, folder: str) -> str:
    """``file:line`` of the innermost place in a template of ``folder`` that ``exc``
    passed through (Jinja gives template code its template's file and line), or the
    file of ``folder`` being read when it failed; else ""."""
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        # Jinja names a template's code by the path it loaded it from: relative when the
        # folder was given so (a config in the current folder)
        file = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if file.startswith(folder + os.sep):
            where = f"{file}:{tb.tb_lineno}"
        tb = tb.tb_next
    if not where and isinstance(exc, UnicodeDecodeError | OSError):
        file = getattr(exc, "filename", None) or ""
        where = file if str(file).startswith(folder + os.sep) else ""
    return where


def site_pages(issues: Sequence[Issue], feeds: Sequence[FeedInfo],
               config: Config) -> dict[str, bytes]:
    """Every file of the web edition by its path in ``output/``: the pages,
    ``sitemap.xml`` and ``style.css``. ``issues`` are oldest first."""
    r = _Renderer(config, feeds)
    combined = r.combined.formats if r.combined else ()
    files: dict[str, bytes] = {}
    lastmod: dict[str, str] = {}
    refs = [_ref(i, config) for i in issues]

    def issue_page(at: int) -> bytes:
        issue = issues[at]
        own = tuple(r.groups[s.slug] for s in issue.sections if s.articles and s.slug in r.groups)
        return r.render("issue.html", refs[at].path, refs[at].label, combined, issue=issue,
                        ref=refs[at], previous=refs[at - 1] if at else None,
                        next=refs[at + 1] if at + 1 < len(refs) else None, feeds=own)

    r.template("issue.html")  # compiled once, before any worker is forked
    made = parallel_map(issue_page, range(len(issues)), PARALLEL_MIN_PAGES)
    for at, page in enumerate(made):
        files[refs[at].path] = page
        lastmod[refs[at].path] = refs[at + 1].date if at + 1 < len(refs) else refs[at].date
    newest_first = refs[::-1]
    for slug, group in sorted(r.groups.items()):
        if not slug:
            continue
        blocks, kept, limit = [], 0, config.section_max_items
        for issue, ref in zip(reversed(issues), newest_first, strict=True):
            if limit and kept >= limit:
                break
            for section in issue.sections:
                if section.slug == slug and section.articles:
                    take = section.articles[:limit - kept] if limit else section.articles
                    kept += len(take)
                    blocks.append(SectionArticles(ref, section, take))
        total = sum(len(s.articles) for i in issues for s in i.sections if s.slug == slug)
        name = group.formats[0].entries[0].section_name if group.formats[0].entries else slug
        path = section_path(slug)
        files[path] = r.render("section.html", path, clean(name), (*combined, *group.formats),
                               name=clean(name), feed=group, blocks=tuple(blocks),
                               limited=kept < total, count=kept)
        lastmod[path] = blocks[0].issue.date if blocks else ""
    years: dict[int, list[IssueRef]] = {}
    for ref in newest_first:
        years.setdefault(ref.year, []).append(ref)
    newest = refs[-1].date if refs else ""
    files["archive.html"] = r.archive(tuple((y, tuple(v)) for y, v in years.items()),
                                      any(f.archives for f in feeds))
    lastmod["archive.html"] = newest
    groups = tuple(g for s, g in sorted(r.groups.items()) if s)
    files["index.html"] = r.render(
        "index.html", "index.html", r.site["title"],
        (*combined, *(r.digest.formats if r.digest else ())), digest=r.digest,
        latest=issues[-1] if issues else None, latest_ref=refs[-1] if refs else None,
        recent=tuple(newest_first[1:RECENT_ISSUES + 1]), sections=groups)
    lastmod["index.html"] = newest
    files["sitemap.xml"] = sitemap(lastmod, config)
    files["style.css"] = r.plain("style.css")
    return files


def sitemap(lastmod: dict[str, str], config: Config) -> bytes:
    """A sitemaps.org list of every page, each with the date its content last changed.

    Written as :func:`sitemap_tree` serialises it; as text when every URL and date is
    printable ASCII without ``&``, ``<`` or ``>`` (nothing to escape: thousands of
    pages in a fraction of the time), else by that function."""
    order = sorted(lastmod)  # the home page first, then by path (as sitemap_tree)
    if "index.html" in lastmod:
        order.remove("index.html")
        order.insert(0, "index.html")
    base = config.base_url
    if not order or _NOT_PLAIN.search(base + "".join(order) + "".join(lastmod.values())):
        return sitemap_tree(lastmod, config)
    lines = ["<?xml version='1.0' encoding='UTF-8'?>\n<!-- generator: feeds -->\n"
             f'<urlset xmlns="{SITEMAP_NS}">\n']
    lines += [f"  <url>\n    <loc>{base}{path}</loc>\n    <lastmod>{day}</lastmod>\n  </url>\n"
              if (day := lastmod[path]) else f"  <url>\n    <loc>{base}{path}</loc>\n  </url>\n"
              for path in order]
    lines.append("</urlset>\n")
    return "".join(lines).encode("ascii")


_NOT_PLAIN = re.compile(r"[^!-%'-;=?-~]")  # all but printable ASCII other than & < >


def sitemap_tree(lastmod: dict[str, str], config: Config) -> bytes:
    """:func:`sitemap` made with lxml: the reference for its bytes."""
    from lxml import etree

    root = etree.Element("urlset", nsmap={None: SITEMAP_NS})  # type: ignore[dict-item]
    for path in sorted(lastmod, key=lambda p: (p != "index.html", p)):
        url = etree.SubElement(root, "url")
        etree.SubElement(url, "loc").text = config.base_url + path
        if lastmod[path]:
            etree.SubElement(url, "lastmod").text = lastmod[path]
    root.addprevious(etree.Comment(" generator: feeds "))  # the tool's mark: see writer.marks()
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8",
                          pretty_print=True)


def opml(feeds: Sequence[FeedInfo], config: Config) -> bytes:
    """An OPML 2.0 subscription list of every feed, for importing into a reader.

    An outline's ``text`` may hold HTML (OPML 2.0), and its ``title`` is the feed's
    title, HTML in RSS: both are the text HTML-escaped, as in the feeds. Written as
    :func:`opml_tree` serialises it; as text when every value is printable and holds
    nothing XML escapes (lxml is then not even imported: every build writes this
    file), else by that function."""
    title, modified, outlines = _opml_values(feeds, config)
    if not all(_plain(v) for v in (title, modified, *(v for o in outlines for v in o))):
        return opml_tree(feeds, config)
    lines = ["<?xml version='1.0' encoding='UTF-8'?>\n<!-- generator: feeds -->\n"
             f'<opml version="2.0">\n  <head>\n    <title>{title}</title>\n']
    if modified:
        lines.append(f"    <dateModified>{modified}</dateModified>\n")
    lines.append("  </head>\n  <body>\n" if outlines else "  </head>\n  <body/>\n")
    lines.extend(f'    <outline type="rss" version="{version}" text="{text}" title="{name}" '
                 f'xmlUrl="{url}" htmlUrl="{home}"/>\n'
                 for version, text, name, url, home in outlines)
    lines.append("  </body>\n</opml>\n" if outlines else "</opml>\n")
    return "".join(lines).encode("utf-8")


def _opml_values(feeds: Sequence[FeedInfo], config: Config
                 ) -> tuple[str, str, list[tuple[str, str, str, str, str]]]:
    """The list's title, its date ("" for none) and each feed's outline attributes, in
    order: version, text, title, xmlUrl and htmlUrl."""
    newest = max((f.updated for f in feeds if f.updated), default=None)
    return (clean(feeds[0].title if feeds else "feeds"),
            newest.strftime("%a, %d %b %Y %H:%M:%S %z") if newest is not None else "",
            [(feed.format.upper(),
              escape(clean(f"{feed.title} ({feed.format.upper()})"), quote=False),
              escape(clean(feed.title), quote=False), feed.url,
              config.base_url + home_path(feed.slug)) for feed in feeds])


def _plain(value: str) -> bool:
    """Whether lxml writes ``value`` as it is, in text and in an attribute alike."""
    return value.isprintable() and _XML_ESCAPED.search(value) is None


_XML_ESCAPED = re.compile(r'[&<>"]')


def opml_tree(feeds: Sequence[FeedInfo], config: Config) -> bytes:
    """:func:`opml` made with lxml: the reference for its bytes."""
    from lxml import etree

    title, modified, outlines = _opml_values(feeds, config)
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    if modified:
        etree.SubElement(head, "dateModified").text = modified
    body = etree.SubElement(root, "body")
    for version, text, name, url, home in outlines:
        etree.SubElement(body, "outline", type="rss", version=version, text=text, title=name,
                         xmlUrl=url, htmlUrl=home)
    root.addprevious(etree.Comment(" generator: feeds "))  # the tool's mark: see writer.marks()
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8",
                          pretty_print=True)
