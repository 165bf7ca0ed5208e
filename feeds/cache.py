"""Keys and plain-data forms of what the state store caches: parse results as JSON.

Nothing here runs code on load: a parse result is rebuilt from JSON lists and
numbers by the dataclasses' own constructors, so a planted or damaged row can
only fail to decode (and is then parsed again), never execute anything.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from feeds.limits import stamp
from feeds.model import (
    Article,
    Diagnostic,
    Issue,
    IssueSummary,
    ParseOptions,
    ParseResult,
    Section,
    SectionSummary,
)
from feeds.slugs import is_slug
from feeds.store import loads

S = TypeVar("S", bound=tuple[Section, ...] | tuple[SectionSummary, ...])


def code_digest(*modules: str) -> str:
    """Cached results depend on this code too: any change to it empties the cache."""
    digest = hashlib.sha256()
    for name in modules:
        digest.update((Path(__file__).parent / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16]


# the parser's code by digest, not by import: a build that parses nothing never imports it
PARSE_CODE = (f"feeds-parse/{stamp()}/"
              f"{code_digest('parser', 'model', 'numerals', 'slugs', 'urls', 'xmltext', 'cache')}")
FRAGMENT_CODE = "feeds-fragments/" + code_digest(
    "builder", "render", "model", "formats/__init__", "formats/base", "formats/feedgen_common",
    "formats/atom", "formats/rss", "formats/jsonfeed", "formats/direct", "xmltext")


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_context(options: ParseOptions) -> hashlib._Hash:
    """The part of every parse key that all files share: code and options."""
    key = hashlib.sha256()
    for part in (PARSE_CODE, options.timezone, repr(sorted(options.section_slugs.items()))):
        key.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return key


def cache_key(digest: str, name: str, options: ParseOptions | hashlib._Hash) -> str:
    """What a parse result depends on: the file's content digest, the shown path,
    the options and the parser's code (``options`` may be their :func:`parse_context`)."""
    key = (parse_context(options) if isinstance(options, ParseOptions) else options).copy()
    key.update(f"{name}\0{digest}".encode("utf-8", "surrogatepass"))
    return key.hexdigest()


def _date(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def result_to_json(result: ParseResult) -> bytes:
    issue = result.issue
    data = [issue.path, issue.name, issue.year, issue.number,
            issue.date.isoformat() if issue.date else None,
            [[s.name, s.slug, s.line, [[a.title, a.url, a.summary_html, a.summary_text,
                                         a.position, a.line, a.author, a.source, list(a.tags)]
                                        for a in s.articles]] for s in issue.sections],
            issue.url, issue.title, issue.intro_html, issue.intro_text, issue.date_source,
            [[d.path, d.line, d.level, d.message] for d in result.diagnostics], issue.heading_line]
    return json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")


def result_from_json(blob: bytes) -> ParseResult:
    """The parse result saved by :func:`result_to_json`; raises ValueError if it is not one."""
    try:
        (path, name, year, number, date, sections, url, title, intro_html, intro_text,
         date_source, diags, heading_line) = loads(blob.decode("utf-8", "surrogatepass"))
        issue = Issue(
            path=path, name=name, year=year, number=number, date=_date(date),
            sections=tuple(Section(name=s_name, slug=slug, line=line, articles=tuple(
                Article(title=a[0], url=a[1], summary_html=a[2], summary_text=a[3],
                        position=a[4], line=a[5], author=a[6], source=a[7], tags=tuple(a[8]))
                for a in articles)) for s_name, slug, line, articles in sections),
            url=url, title=title, intro_html=intro_html, intro_text=intro_text,
            date_source=date_source, heading_line=heading_line)
        check_slugs(issue.sections)
        return ParseResult(issue, tuple(Diagnostic(*d) for d in diags))
    except (TypeError, ValueError, IndexError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a saved parse result: {exc}") from None


def summarise(issue: Issue, key: str = "",
              diagnostics: tuple[Diagnostic, ...] = ()) -> IssueSummary:
    """What the cross-file checks and the feed plan need of an issue."""
    return IssueSummary(issue.path, issue.name, issue.year, issue.number, issue.date,
                        tuple(SectionSummary(s.name, s.slug, s.line, len(s.articles))
                              for s in issue.sections), issue.date_source, key, diagnostics,
                        issue.heading_line)


def summary_to_json(summary: IssueSummary) -> bytes:
    """The summary as one JSON array (see :func:`summary_from_list`)."""
    data = [summary.path, summary.name, summary.year, summary.number,
            summary.date.isoformat() if summary.date else None, summary.date_source,
            summary.key, [list(s) for s in summary.sections],
            [[d.path, d.line, d.level, d.message] for d in summary.diagnostics],
            summary.heading_line]
    return json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")


def summary_from_list(data: list[Any]) -> IssueSummary:
    """A summary from its JSON array; raises ValueError if it is not one."""
    try:
        path, name, year, number, date, date_source, key, sections, diags, heading = data
        return IssueSummary(path, name, year, number, _date(date),
                            check_slugs(tuple(map(SectionSummary._make, sections))), date_source,
                            key, tuple(Diagnostic(*d) for d in diags) if diags else (), heading)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a saved summary: {exc}") from None


def check_slugs(sections: S) -> S:
    """``sections``, once each slug is found to have a slug's form (raises ValueError)."""
    if not all(is_slug(s.slug) for s in sections):
        raise ValueError("a section slug that is not a slug")
    return sections


def summaries_from_json(blobs: list[bytes]) -> list[list[Any]]:
    """Many summaries' JSON arrays decoded at once: one parse, not one per issue."""
    if not blobs:
        return []
    try:
        data = loads(b"[" + b",".join(blobs) + b"]")
    except ValueError:
        data = None
    if isinstance(data, list) and len(data) == len(blobs):
        return data
    return [_one(blob) for blob in blobs]  # some row is damaged: find which


def _one(blob: bytes) -> list[Any]:
    try:
        data = loads(blob)
    except ValueError:
        return []
    return data if isinstance(data, list) else []
