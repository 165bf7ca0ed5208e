"""Find issue files, parse them (in parallel, through a cache) and check them together.

Checks that need more than one file live here: two files with the same year and
number, and two section names that would share a feed. Dates that the text does
not give come from git history or, failing that, the file's modification time.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path

from feeds.cache import ParseCache, cache_key
from feeds.model import Diagnostic, Issue, ParseError, ParseResult
from feeds.parallel import parallel_map
from feeds.parser import ParseOptions, parse_issue
from feeds.sanity import sanity_warnings
from feeds.slugs import SlugHelper, known_slugs, learn_slugs, resolve_slugs
from feeds.sources import display_path, find_issue_files, read_issue_file

PARALLEL_MIN_FILES = 64


@dataclass(frozen=True)
class Loaded:
    """Every issue found, oldest first, with the warnings on the way; ``fresh``
    holds the paths of the issues parsed in this run rather than taken from the cache.
    """

    issues: tuple[Issue, ...]
    diagnostics: tuple[Diagnostic, ...]
    fresh: frozenset[str] = field(default=frozenset(), compare=False)


_Job = tuple[bytes, str, str]


def _parse_one(job: _Job, options: ParseOptions) -> ParseResult | ParseError:
    """Parse one file, leaving the slugs of new section names for the caller."""
    data, name, _ = job
    try:
        return parse_issue(data, name, options, make_slugs=False)
    except ParseError as exc:
        return exc


def _with_slugs(result: ParseResult, slugs: Mapping[str, str]) -> ParseResult:
    """The result with every section's slug filled in."""
    if all(section.slug for section in result.issue.sections):
        return result
    sections = tuple(section if section.slug else replace(section, slug=slugs[section.name])
                     for section in result.issue.sections)
    return replace(result, issue=replace(result.issue, sections=sections))


def git_first_added(files: Iterable[Path]) -> dict[Path, datetime]:
    """The author date of the commit that first added each file, where git knows it."""
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
                continue
            except ValueError:
                pass
        if stamp is not None:
            dates[(root / item).resolve()] = stamp  # older commits come later and win
    return dates


def load_issues(paths: Sequence[Path], options: ParseOptions, cache: ParseCache | None = None,
                contents: Mapping[Path, bytes | None] | None = None) -> Loaded:
    """Parse every issue under ``paths``; raise ParseError with all problems of all files.

    Files are parsed on all cores when there are many. ``contents`` holds files
    already read (see sources.read_files); a file it could not read is read
    again here, for the error message.
    """
    files = find_issue_files(paths)
    diags: list[Diagnostic] = []
    results: dict[Path, ParseResult] = {}
    jobs: list[_Job] = []
    sources: list[Path] = []
    cwd = os.getcwd()
    for file in files:
        name = display_path(file, cwd)
        data = contents.get(file) if contents else None
        try:
            if data is None:
                data = read_issue_file(file)
        except OSError as exc:
            diags.append(Diagnostic(name, 0, "error", f"cannot read: {exc.strerror}"))
            continue
        key = cache_key(data, name, options)
        hit = cache.get(key) if cache else None
        if hit is not None:
            results[file] = hit
        else:
            jobs.append((data, name, key))
            sources.append(file)
    # A cold parse of many files will likely meet new section names: load pypinyin
    # for their slugs in a helper process meanwhile, not in every worker.
    helper = SlugHelper.start() if len(jobs) >= PARALLEL_MIN_FILES and not known_slugs() \
        else None
    try:
        parsed = parallel_map(partial(_parse_one, options=options), jobs, PARALLEL_MIN_FILES)
        slugs = resolve_slugs((s.name for r in parsed if isinstance(r, ParseResult)
                               for s in r.issue.sections if not s.slug), helper)
    finally:
        if helper is not None:
            helper.close()
    for outcome, job, file in zip(parsed, jobs, sources, strict=True):
        if isinstance(outcome, ParseError):
            diags.extend(outcome.diagnostics)
            continue
        results[file] = outcome = _with_slugs(outcome, slugs)
        if cache:
            cache.add(job[2], outcome)
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
                mtime = datetime.fromtimestamp(file.stat().st_mtime, options.tz)
                issue = replace(issue, date=mtime.replace(microsecond=0), date_source="mtime")
                diags.append(Diagnostic(
                    issue.path, 1, "warning",
                    "no date in front matter, file name or git history; using the file's "
                    "modification time (add 'date: YYYY-MM-DD' to front matter)"))
        issues.append(issue)
    return issues


def _check_together(issues: list[Issue], diags: list[Diagnostic]) -> None:
    by_number: dict[tuple[int, int], Issue] = {}
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
                diags.append(Diagnostic(
                    issue.path, section.line, "error",
                    f"section {section.name} has the slug {section.slug!r}, like section {name} "
                    f"({where}:{line}); give one of them its own slug in the [sections] table "
                    "of feeds.toml"))
