"""Find issue files, parse them (in parallel, through a cache) and check them together.

Checks that need more than one file live here: two files with the same year and
number, and two section names that would share a feed. Dates that the text does
not give come from git history or, failing that, the file's modification time.
"""

from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from feeds.ahead import Ahead
from feeds.builder import FeedMark, Place, newest_stamp
from feeds.cache import (
    cache_key,
    check_slugs,
    content_digest,
    parse_context,
    result_from_json,
    result_to_json,
    summarise,
    summary_from_list,
    summary_to_json,
)
from feeds.limits import YEARS
from feeds.model import (
    Diagnostic,
    Issue,
    IssueSummary,
    ParseError,
    ParseOptions,
    ParseResult,
    SectionSummary,
    utf8_name,
)
from feeds.parallel import parallel_imap, parallel_map
from feeds.sanity import row_warnings, sanity_warnings
from feeds.slugs import SlugHelper, known_slugs, learn_slugs, resolve_slugs
from feeds.sources import (
    SourceFile,
    Survey,
    display_path,
    find_issue_names,
    misnamed_warnings,
    not_utf8,
    read_issue_file,
    unreadable,
)
from feeds.store import DamagedRow, Store, loads

if TYPE_CHECKING:
    from feeds.early import EarlyPrepare
    from feeds.render import Prepared
    from feeds.writer import WriteError

PARALLEL_MIN_FILES = 64
PUT_AS_PARSED = True  # catalog rows put as the parse results come; False: all after (the reference)


@dataclass(frozen=True)
class Loaded:
    """Every issue found, oldest first, with the warnings on the way; ``fresh``
    holds the paths of the issues parsed in this run rather than taken from the cache.
    """

    issues: tuple[Issue, ...]
    diagnostics: tuple[Diagnostic, ...]
    fresh: frozenset[str] = field(default=frozenset(), compare=False)


@dataclass(frozen=True)
class Parsed:
    """An issue parsed (and its slugs filled in) elsewhere, in the forms the catalog keeps:
    its parse result as JSON, its summary (its key left out) and its own URL; with its
    entries if they were prepared with it (see :mod:`feeds.early`)."""

    blob: bytes
    summary: IssueSummary
    url: str
    ready: Prepared | None = None


_Job = tuple[bytes | Path, str]  # the bytes (or the file to read them from) and the shown path
_Parsed = tuple[ParseResult | ParseError, str]  # and the digest of the bytes parsed


def _parse_one(job: _Job, options: ParseOptions) -> _Parsed:
    """Parse one file, leaving the slugs of new section names for the caller."""
    data, name = job
    try:
        if isinstance(data, Path):
            data = read_issue_file(data)
    except OSError as exc:
        return ParseError([Diagnostic(name, 0, "error",
                                      f"cannot read: {unreadable(name, exc)}")]), ""
    from feeds.parser import parse_issue  # not imported by a build that parses nothing

    try:
        return parse_issue(data, name, options, make_slugs=False), content_digest(data)
    except ParseError as exc:
        return exc, ""


def _with_slugs(result: ParseResult, slugs: Mapping[str, str]) -> ParseResult:
    """The result with every section's slug filled in."""
    if all(section.slug for section in result.issue.sections):
        return result
    sections = tuple(section if section.slug else replace(section, slug=slugs[section.name])
                     for section in result.issue.sections)
    return replace(result, issue=replace(result.issue, sections=sections))


def git_first_added(files: Iterable[Path]) -> dict[Path, datetime]:
    """The author date of the commit that first added each file, where git knows it."""
    import subprocess  # only for undated issues

    files = [f.resolve() for f in files]
    if not files:
        return {}
    folder = files[0].parent
    try:
        top = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel",
                              "--is-shallow-repository"],
                             capture_output=True, text=True, timeout=30, check=True)
        toplevel, shallow = top.stdout.split()
        if shallow == "true":  # a shallow clone would date every file by its newest commit
            return {}
        root = Path(toplevel).resolve()
        log = subprocess.run(
            ["git", "-C", str(root), "log", "--diff-filter=A", "--format=%x00%aI", "--name-only",
             "-z", "--", *(str(f.relative_to(root)) for f in files if f.is_relative_to(root))],
            capture_output=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError, ValueError):
        return {}
    dates: dict[Path, datetime] = {}
    stamp: datetime | None = None
    for item in log.stdout.decode("utf-8", "replace").split("\0"):
        item = item.strip("\n")
        if not item:
            continue
        if item[:4].isdigit() and "T" in item and len(item) >= 19:
            try:
                stamp = datetime.fromisoformat(item)
            except ValueError:
                pass
            else:  # a year no issue may have (9999-12-31 overflows in a zone east of it)
                stamp = stamp if stamp.astimezone(UTC).year in YEARS else None
                continue
        if stamp is not None:
            dates[(root / item).resolve()] = stamp  # older commits come later and win
    return dates


def load_issues(paths: Sequence[Path], options: ParseOptions,
                contents: Mapping[Path, bytes | None] | None = None) -> Loaded:
    """Parse every issue under ``paths``; raise ParseError with all problems of all files.

    Files are parsed on all cores when there are many. ``contents`` holds files
    already read (see sources.read_files); a file it could not read is read
    again here, for the error message.
    """
    misnamed: list[str] = []
    files = [Path(name) for name in find_issue_names(paths, misnamed)]
    diags: list[Diagnostic] = misnamed_warnings(misnamed)
    results: dict[Path, ParseResult] = {}
    jobs: list[_Job] = []
    sources: list[Path] = []
    cwd = os.getcwd()
    for file in files:
        name = display_path(file, cwd)
        if not utf8_name(name):
            diags.append(not_utf8(name))
            continue
        data = contents.get(file) if contents else None
        try:
            if data is None:
                data = read_issue_file(file)
        except OSError as exc:
            diags.append(Diagnostic(name, 0, "error", f"cannot read: {unreadable(file, exc)}"))
            continue
        jobs.append((data, name))
        sources.append(file)
    parsed = _parse_all(jobs, options)
    for (outcome, _), file in zip(parsed, sources, strict=True):
        if isinstance(outcome, ParseError):
            diags.extend(outcome.diagnostics)
            continue
        results[file] = outcome
    learn_slugs({s.name: s.slug for r in results.values() for s in r.issue.sections
                 if s.name not in options.section_slugs})
    issues = _fill_dates(results, options, diags)
    _check_together(issues, diags)
    diags.extend(sanity_warnings(issues, datetime.now(options.tz)))
    if any(d.level == "error" for d in diags):
        raise ParseError(diags)
    issues.sort(key=lambda i: (i.date, i.year, i.number, i.path))
    fresh = frozenset(results[file].issue.path for file in sources if file in results)
    return Loaded(tuple(issues), tuple(diags), fresh)


def _parse_all(jobs: list[_Job], options: ParseOptions) -> list[_Parsed]:
    """Parse the jobs (on all cores when many) and fill in the slugs of new section names."""
    helper = before_the_pool(jobs)
    try:
        parsed = parallel_map(partial(_parse_one, options=options), jobs, PARALLEL_MIN_FILES)
        slugs = resolve_slugs((s.name for r, _ in parsed if isinstance(r, ParseResult)
                               for s in r.issue.sections if not s.slug), helper)
    finally:
        if helper is not None:
            helper.close()
    return [(_with_slugs(r, slugs) if isinstance(r, ParseResult) else r, d) for r, d in parsed]


class ParseAhead(NamedTuple):
    """Files parsed in a forked child (see :func:`parse_ahead`), with the options they
    are parsed with."""

    options: ParseOptions
    parse: Ahead[_Job, _Parsed]


def parse_ahead(found: Survey, options: ParseOptions, store: Store) -> ParseAhead | None:
    """Begin parsing the few files a build found edited (fewer than
    :data:`PARALLEL_MIN_FILES`) whose parse the store does not hold, in a forked child,
    while the build goes on to read the store; :func:`load_catalog` takes the results of
    the files it parses. None if there are none, too many, or no child was forked (see
    :meth:`~feeds.ahead.Ahead.begin`)."""
    edited = found.edited()
    if not edited or len(edited) >= PARALLEL_MIN_FILES:
        return None
    context = parse_context(options)
    cwd = os.getcwd()
    jobs: list[_Job] = []
    for file in edited:
        source = found.source(file)
        name = display_path(file, cwd)
        if source.row is not None and store.summary(
                cache_key(source.row.digest, name, context)) is None:
            jobs.append((Path(file), name))
    parse = Ahead.begin(partial(_parse_one, options=options), jobs)
    return ParseAhead(options, parse) if parse is not None else None


_begun: list[SlugHelper] = []  # started by begin_slug_helper, for before_the_pool


def begin_slug_helper(found: Survey, store: Store) -> None:
    """Start the slug helper now (see :func:`before_the_pool`) if the build will likely
    parse many files with no slug known, the store's included: it loads pypinyin while
    the build reads the store and imports the rest, and answers the workers sooner.
    :func:`end_slug_helper` stops it if no pool took it."""
    if not _begun and len(found.changed) >= PARALLEL_MIN_FILES and not known_slugs() \
            and not store.slugs():
        helper = SlugHelper.start()
        if helper is not None:
            _begun.append(helper)


def end_slug_helper() -> None:
    """Stop the helper :func:`begin_slug_helper` started, if no pool took it."""
    while _begun:
        _begun.pop().close()


def before_the_pool(jobs: Sequence[_Job]) -> SlugHelper | None:
    """For as many jobs as a pool of workers parses: the parser made once, before they
    are forked, and, if no slug is known yet, the slug helper started (or the one begun
    already taken): a cold parse of many files will likely meet new section names, and
    the helper loads pypinyin for their slugs meanwhile, not every worker."""
    if len(jobs) < PARALLEL_MIN_FILES:
        return None
    from feeds.parser import markdown

    helper = (_begun.pop() if _begun else SlugHelper.start()) if not known_slugs() else None
    markdown()
    return helper


def _parse_each(jobs: list[_Job], options: ParseOptions,
                ahead: ParseAhead | None = None) -> Generator[_Parsed, None, None]:
    """:func:`_parse_all` handing on each result as it comes, its slugs filled in,
    so that the caller can let it go before the next: the results of a large
    parse never sit in memory together. New section names are sent to the slug
    helper as they turn up (slugs are a pure function of the name). A job that
    ``ahead`` parsed (with these options) is taken from it."""
    helper = before_the_pool(jobs)
    parse: Callable[[_Job], _Parsed] = partial(_parse_one, options=options)
    if ahead is not None and ahead.options == options and len(jobs) < PARALLEL_MIN_FILES:
        parse = ahead.parse  # in this process: a forked worker could not take its results
    try:
        for outcome, digest in parallel_imap(parse, jobs, PARALLEL_MIN_FILES):
            if isinstance(outcome, ParseResult):
                outcome = _with_slugs(outcome, resolve_slugs(
                    (s.name for s in outcome.issue.sections if not s.slug), helper))
            yield outcome, digest
    finally:
        if helper is not None:
            helper.close()


def _fill_dates(results: dict[Path, ParseResult], options: ParseOptions,
                diags: list[Diagnostic]) -> list[Issue]:
    undated = [f for f, r in results.items() if r.issue.date is None]
    from_git = git_first_added(undated) if undated else {}
    issues = []
    for file, result in results.items():
        diags.extend(result.diagnostics)
        issue = result.issue
        if issue.date is None:
            stamp = from_git.get(file.resolve())
            if stamp is not None:
                issue = replace(issue, date=stamp.astimezone(options.tz), date_source="git")
            else:
                mtime = _mtime_date(file, options, issue.path, issue.year, diags)
                issue = replace(issue, date=mtime, date_source="mtime")
                diags.append(Diagnostic(
                    issue.path, 1, "warning",
                    "no date in front matter, file name or git history; using the file's "
                    "modification time (add 'date: YYYY-MM-DD' to front matter)"))
        issues.append(issue)
    return issues


def _check_together(issues: Sequence[Issue | IssueSummary], diags: list[Diagnostic]) -> None:
    by_number: dict[tuple[int, int], Issue | IssueSummary] = {}
    for issue in sorted(issues, key=lambda i: i.path):
        first = by_number.setdefault((issue.year, issue.number), issue)
        if first is not issue:
            diags.append(Diagnostic(issue.path, 1, "error",
                                    f"issue {issue.year} No. {issue.number} is also in "
                                    f"{first.path}; give each issue its own number"))
    by_slug: dict[str, tuple[str, str, int]] = {}
    for issue in sorted(issues, key=lambda i: i.path):
        for section in issue.sections:
            name, where, line = by_slug.setdefault(section.slug,
                                                   (section.name, issue.path, section.line))
            if name != section.name:
                diags.append(Diagnostic(issue.path, section.line, "error", _slug_clash(
                    section.name, section.slug, name, f"{where}:{line}")))


def _slug_clash(name: str, slug: str, first: str, where: str) -> str:
    """Two section names with one slug: two sections, or one typed in two Unicode
    normalization forms (which look the same: a new slug would not be what was meant)."""
    if unicodedata.normalize("NFC", name) == unicodedata.normalize("NFC", first):
        return (f"section {name} has the slug {slug!r}, like section {first} ({where}), "
                "and differs from it only in Unicode normalization (composed and decomposed "
                "accents look the same): retype one of the two names so that both are "
                "written alike")
    return (f"section {name} has the slug {slug!r}, like section {first} ({where}); give "
            "one of them its own slug in the [sections] table of feeds.toml")


def _summary(row: Sequence[Any]) -> IssueSummary:
    """A summary from its catalog row (see :meth:`Store.catalog_row`); raises
    :class:`DamagedRow` if it cannot be read (the plan cannot do without it)."""
    path, name, year, number, date, date_source, key, sections, diagnostics, line = row
    try:
        return IssueSummary(path, name, year, number, datetime.fromisoformat(date),
                            check_slugs(tuple(map(SectionSummary._make, loads(sections)))),
                            date_source, key, _notes(diagnostics), line)
    except (TypeError, ValueError) as exc:
        raise DamagedRow(f"the catalog row of {path} cannot be read: {exc}") from None


def _notes(text: str | None) -> tuple[Diagnostic, ...]:
    """The diagnostics of a catalog row; raises TypeError or ValueError if they
    cannot be read."""
    return tuple(Diagnostic(*d) for d in loads(text)) if text else ()


class StoredIssues:
    """The issues of the catalog in the store, read only as far as the plan needs
    (an :class:`feeds.builder.IssueSource`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def by_newest(self, slug: str | None) -> Iterator[IssueSummary]:
        return map(_summary, self.store.by_newest(slug))

    def slugs(self) -> list[str]:
        return self.store.section_slugs()

    def latest(self) -> IssueSummary | None:
        row = self.store.latest()
        return _summary(row) if row else None

    def in_order(self) -> Iterator[IssueSummary]:
        """Every issue, oldest first (by date, year, number, path)."""
        return map(_summary, self.store.in_order())


class StoredMarks:
    """The archive plan's marks (a :class:`feeds.builder.ArchiveMarks`) in the store,
    for the build's code and configuration (``context``)."""

    def __init__(self, store: Store, context: str) -> None:
        self.store = store
        self.context = context

    def last(self) -> tuple[dict[str, FeedMark], Place] | None:
        found = self.store.archive_marks(self.context)
        if found is None:
            return None
        text, newest = found
        try:
            marks = {str(name): FeedMark(tuple(map(str, pages)), int(before),
                                         (float(first[0]), int(first[1]), int(first[2])))
                     for name, (pages, before, first) in loads(text).items()}
        except (TypeError, ValueError, AttributeError, IndexError):
            return None  # a damaged row: every issue is read
        if newest is None:
            return ({}, (float("-inf"), 0, 0)) if not marks else None
        if not self.store.feeds_before(newest) <= marks.keys():
            return None  # a feed that had entries then has no mark: not marks a build made
        return marks, (newest + 1, 0, 0)

    def since(self, place: Place) -> Iterator[IssueSummary]:
        return map(_summary, self.store.since(place[0]))

    def keep(self, marks: Mapping[str, FeedMark]) -> None:
        self.store.save_archive_marks(self.context, json.dumps(
            {name: [list(m.pages), m.before, list(m.first)] for name, m in marks.items()}))


@dataclass(frozen=True)
class Catalog:
    """Every issue of a build, read from the store as needed, with its warnings; and
    the issues parsed afresh in this run, as JSON in a temporary file (a large cold
    build never holds them all in memory)."""

    issues: StoredIssues
    diagnostics: tuple[Diagnostic, ...]
    fresh: dict[str, tuple[int, int, datetime, str]]  # offset and size in spool, date, source
    keys: dict[str, str]  # the parse key of each fresh issue
    spool: BinaryIO  # the fresh parse results as JSON, one after another
    plans: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # see page_plan
    warnings_change: float | None = None  # see feeds.sanity.warnings_change_at (POSIX time)

    def fresh_json(self, path: str) -> bytes | None:
        where = self.fresh.get(path)
        return os.pread(self.spool.fileno(), where[1], where[0]) if where else None


def load_catalog(found: Survey, options: ParseOptions, store: Store,
                 early: EarlyPrepare | None = None,
                 ahead: ParseAhead | None = None) -> Catalog:
    """Bring the store's catalog of issues up to date with the files; raise
    ParseError with all problems of all files.

    A file that did not change keeps its catalog row, unread. A changed one is
    looked up by its content and parsed only if that is new (with ``early``, in its
    pool, which prepares the entries of what it parses as it goes; else taken from
    ``ahead`` if it parsed it already). The cross-file
    checks run on the whole catalog, every time, in SQL.
    """
    cwd = os.getcwd()
    context = parse_context(options)
    held = store.catalog_files(f"{context.hexdigest()}\0{cwd}")
    diags: list[Diagnostic] = []
    changed: dict[Path, IssueSummary] = {}
    jobs: list[_Job] = []
    waiting: list[tuple[SourceFile, str]] = []
    failed: list[str] = []  # files that fail now: their rows of a good parse are left out
    changed_files = found.changed
    for listed in found.files:
        if listed in held and listed not in changed_files:
            continue
        source = found.source(listed)
        name = display_path(listed, cwd)
        if not (utf8_name(source.file) and utf8_name(name)):
            diags.append(not_utf8(name))
            failed.append(listed)
            continue
        if source.row is None:
            diags.append(Diagnostic(name, 0, "error", f"cannot read: {source.error}"))
            failed.append(listed)
            continue
        key = cache_key(source.row.digest, name, context)
        blob = store.summary(key)
        if blob is not None:
            try:
                changed[source.path] = summary_from_list(loads(blob))
                continue
            except ValueError:
                pass  # a damaged row: parse the file again
        jobs.append((source.path, name))
        waiting.append((source, key))
    learn_slugs(store.slugs())
    known_names = known_slugs()
    fresh: dict[str, tuple[int, int]] = {}  # where in the spool each fresh result's JSON is
    try:
        spool = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the build)
    except OSError as exc:
        raise _temporary_error(exc) from None
    keys: dict[str, str] = {}
    urls: dict[str, str] = {}  # the fresh issues' own URLs (few have one)
    order = list(changed)  # the catalog's rows are put in this order
    put = 0  # how many of them are put: as they come while dated (during the parse, not
    #          after it, with the workers idle), the rest once the dates are filled in

    def put_dated(last: bool = False) -> None:
        nonlocal put
        while (last or PUT_AS_PARSED) and put < len(order) and changed[order[put]].date is not None:
            summary = changed[order[put]]
            assert summary.date is not None
            store.put_catalog(str(order[put]), _catalog_row(summary), newest_stamp(summary),
                              summary.date.timestamp(), [list(s) for s in summary.sections],
                              new=not held)  # (an empty catalog: see Store.catalog_files)
            put += 1

    results: Generator[tuple[ParseResult | ParseError | Parsed, str], None, None] = \
        _parse_each(jobs, options, ahead) if early is None \
        else early.parse_each(jobs, [key for _, key in waiting], options)
    try:
        for (source, key), (outcome, digest) in zip(waiting, results, strict=True):
            if isinstance(outcome, ParseError):
                diags.extend(outcome.diagnostics)
                failed.append(source.file)
                continue
            if isinstance(outcome, Parsed):
                summary, blob, url = outcome.summary._replace(key=key), outcome.blob, outcome.url
            else:
                summary = summarise(outcome.issue, key, outcome.diagnostics)
                blob, url = result_to_json(outcome), outcome.issue.url
            assert source.row is not None
            if digest == source.row.digest:  # else the file changed while being read: no caching
                store.add_parsed(key, blob, summary_to_json(summary), summary.year,
                                 summary.number,
                                 summary.date.isoformat() if summary.date else None)
            changed[source.path] = summary
            order.append(source.path)
            put_dated()
            fresh[summary.path] = (spool.tell(), len(blob))
            if url:
                urls[summary.path] = url
            try:
                spool.write(blob)
            except OSError as exc:
                raise _temporary_error(exc) from None
            keys[summary.path] = key
    finally:
        results.close()  # the workers and the slug helper end here, even on an error
    learn_slugs({s.name: s.slug for r in changed.values() for s in r.sections
                 if s.name not in options.section_slugs})
    new_slugs = {k: v for k, v in known_slugs().items() if known_names.get(k) != v}
    if new_slugs:
        store.add_slugs(new_slugs)
    _fill_summary_dates(changed, options, diags)
    dates: dict[str, tuple[datetime, str]] = {}
    for s in changed.values():
        if s.path in fresh:
            assert s.date is not None
            dates[s.path] = (s.date, s.date_source)
    store.drop_catalog(held.difference(found.files).union(held.intersection(failed)))
    put_dated(last=True)
    assert put == len(order) == len(changed)
    for path, date_source, notes in store.catalog_notes():
        try:
            diags.extend(_notes(notes))
        except (TypeError, ValueError) as exc:
            raise DamagedRow(f"the catalog row of {path} cannot be read: {exc}") from None
        if date_source == "mtime":
            diags.append(Diagnostic(
                path, 1, "warning",
                "no date in front matter, file name or git history; using the file's "
                "modification time (add 'date: YYYY-MM-DD' to front matter)"))
    _check_stored(store, diags)
    failing = any(d.level == "error" for d in diags)  # (the warnings below are none)
    warnings, change = row_warnings(store.dated_rows(), datetime.now(options.tz))
    diags.extend(warnings)
    if failing:
        raise ParseError(diags)
    store.save_sources(found.rows(), found.gone())
    store.forget_parsed()
    try:
        spool.flush()
    except OSError as exc:
        raise _temporary_error(exc) from None
    # Made from the summaries once the parse results are let go: objects kept from
    # among them would keep their memory from being given back (10-17 MB at N = 5,000).
    plans = {keys[s.path]: page_plan(urls.get(s.path, ""), ((c.slug, c.articles)
                                                            for c in s.sections))
             for s in changed.values() if s.path in fresh}
    return Catalog(StoredIssues(store), tuple(diags),
                   {p: (*at, *dates[p]) for p, at in fresh.items()}, keys, spool, plans,
                   change)


def _temporary_error(exc: OSError) -> WriteError:
    """The parse results of this build are spooled to a temporary file: it could not be
    made or written (a full or unusable temporary folder)."""
    from feeds.writer import WriteError, os_reason

    return WriteError(f"{tempfile.gettempdir()}: cannot write a temporary file: "
                      f"{os_reason(exc)} (set TMPDIR to a folder with room)")


def page_plan(url: str, sections: Iterable[tuple[str, int]]) -> tuple[str, int, str]:
    """What the web edition plans an issue's pages by (see :mod:`feeds.webedition`): its
    front matter URL, its article count and the slugs of its sections with articles,
    sorted, one a line; from each section's slug and article count."""
    counted = list(sections)
    return url, sum(n for _, n in counted), "\n".join(sorted({slug for slug, n in counted if n}))


def _catalog_row(summary: IssueSummary) -> tuple[Any, ...]:
    assert summary.date is not None
    diagnostics = [[d.path, d.line, d.level, d.message] for d in summary.diagnostics]
    return (summary.path, summary.name, summary.year, summary.number, summary.date.isoformat(),
            summary.date_source, summary.key,
            json.dumps([list(s) for s in summary.sections], ensure_ascii=False),
            json.dumps(diagnostics, ensure_ascii=False) if diagnostics else None,
            summary.heading_line)


def _check_stored(store: Store, diags: list[Diagnostic]) -> None:
    """:func:`_check_together` on the catalog: the same messages in the same order."""
    numbers = []
    for year, number, paths in store.number_clashes():
        numbers += [Diagnostic(path, 1, "error", f"issue {year} No. {number} is also in "
                               f"{paths[0]}; give each issue its own number")
                    for path in paths[1:]]
    diags.extend(sorted(numbers, key=lambda d: d.path))
    by_slug: dict[str, tuple[str, str, int]] = {}
    for path, line, name, slug in store.slug_clashes():
        first, where, first_line = by_slug.setdefault(slug, (name, path, line))
        if first != name:
            diags.append(Diagnostic(path, line, "error",
                                    _slug_clash(name, slug, first, f"{where}:{first_line}")))


def _mtime_date(file: Path, options: ParseOptions, path: str, year: int | None,
                diags: list[Diagnostic]) -> datetime:
    """The file's modification time as an issue's date; outside the years an issue may
    have (a time after 9999 cannot even be a date), an error in ``diags`` and a
    placeholder in the issue's ``year`` (no warning of another year), as nothing is
    published with an error."""
    mtime = int(file.stat().st_mtime)
    try:
        date = datetime.fromtimestamp(mtime, options.tz)
    except (ValueError, OverflowError, OSError):
        date = None
    if date is not None and date.year in YEARS:
        return date
    diags.append(Diagnostic(
        path, 1, "error",
        f"the file's modification time ({mtime} s after 1970) is not in the years "
        f"{YEARS.start}-{YEARS.stop - 1}, so it cannot date the issue; add 'date: "
        "YYYY-MM-DD' to front matter"))
    return datetime(year if year is not None and year in YEARS else YEARS.start, 1, 1,
                    tzinfo=options.tz)


def _fill_summary_dates(summaries: dict[Path, IssueSummary], options: ParseOptions,
                        diags: list[Diagnostic]) -> None:
    """Dates the text does not give: from git or the file's modification time."""
    undated = [f for f, s in summaries.items() if s.date is None]
    from_git = git_first_added(undated) if undated else {}
    for file in undated:
        stamp = from_git.get(file.resolve())
        if stamp is not None:
            date, source = stamp.astimezone(options.tz), "git"
        else:
            date = _mtime_date(file, options, summaries[file].path, summaries[file].year,
                               diags)
            source = "mtime"
        summaries[file] = summaries[file]._replace(date=date, date_source=source)


def load_issue(summary: IssueSummary, catalog: Catalog, options: ParseOptions,
               store: Store) -> Issue:
    """The whole issue behind a summary: parsed in this run, stored, or parsed again."""
    return issue_from(issue_blob(summary, catalog, store), summary, options)


def issue_blob(summary: IssueSummary, catalog: Catalog, store: Store) -> bytes | None:
    """The issue's parse result as JSON, if this run parsed it or the store has it."""
    return catalog.fresh_json(summary.path) or store.parsed(summary.key)


def issue_from(blob: bytes | None, summary: IssueSummary, options: ParseOptions) -> Issue:
    """The whole issue from :func:`issue_blob` (its file parsed again if that is
    missing or damaged), dated as the catalog dated it. Needs no store: a forked
    worker may call it."""
    try:
        if blob is None:
            raise ValueError("not stored")
        issue = result_from_json(blob).issue
    except ValueError:
        outcome, _ = _parse_all([(Path(summary.path), summary.path)], options)[0]
        if isinstance(outcome, ParseError):
            raise outcome from None
        issue = outcome.issue
    if issue.date != summary.date:
        issue = replace(issue, date=summary.date, date_source=summary.date_source)
    return issue
