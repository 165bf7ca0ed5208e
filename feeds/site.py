"""One whole build: read the issues, plan and render the feeds, publish them.

The pipeline the ``build`` and ``serve`` commands run; it raises ParseError,
LockError or WriteError and prints nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds.config import Config
from feeds.model import Diagnostic
from feeds.writer import OutputDir

if TYPE_CHECKING:
    from feeds.builder import Revisions
    from feeds.parser import ParseOptions


@dataclass(frozen=True)
class BuildReport:
    """What one build did, for printing."""

    feeds: int
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    stale: tuple[str, ...]
    warnings: tuple[Diagnostic, ...]
    seconds: float


def parse_options(config: Config) -> ParseOptions:
    """What the parser needs from the configuration."""
    from feeds.parser import ParseOptions

    return ParseOptions(timezone=config.timezone, section_slugs=dict(config.sections))


def run_build(issues_dir: Path, output: Path, config: Config, wait: float) -> BuildReport:
    """Parse, build in memory, then publish under the lock. Raises on any failure.

    When neither the inputs nor the files of the last build changed, it stops
    after reading the issues once: no parsing, no feed is built or written.
    """
    from feeds.pages import template_stamp
    from feeds.sources import code_stamp, find_issue_files, fingerprint, read_files

    started = time.perf_counter()
    out = OutputDir(output)
    with out.locked(wait):
        sources = read_files(find_issue_files([issues_dir]))
        inputs = fingerprint(sources, code_stamp(), repr(config), str(issues_dir.resolve()),
                             template_stamp(config))
        state = out.read_state()
        if state is not None and state.get("inputs") == inputs and out.intact(state):
            try:
                files = sorted(state["files"])
                warnings = tuple(Diagnostic(*d) for d in state.get("warnings", []))
                return BuildReport(int(state.get("feeds", 0)), (), tuple(files),
                                   out.stale(set(files)), warnings,
                                   time.perf_counter() - started)
            except (TypeError, ValueError):
                pass  # a damaged record only means a full build
        salt = fingerprint({}, code_stamp(), repr(config))
        return _full_build(sources, out, config, inputs, started, _revisions(state),
                           _known_pages(state, out, salt), salt)


def _known_pages(state: dict[str, Any] | None, out: OutputDir, salt: str) -> dict[str, str]:
    """The archive pages of the last build, by key (see render.page_key), whose files are
    as it left them; none when the code or the configuration changed since."""
    record = (state or {}).get("archive_pages")
    if not isinstance(record, dict) or record.get("salt") != salt \
            or not isinstance(record.get("pages"), dict):
        return {}
    found = {}
    for key, value in record["pages"].items():
        with contextlib.suppress(TypeError, ValueError, OSError):
            path, size, mtime = value
            if not isinstance(path, str) or path.startswith("/") or ".." in path.split("/") \
                    or "archive" not in path.split("/")[:-1]:
                continue  # only an archive page inside output/ is ever trusted
            stat = (out.root / path).stat()
            if [stat.st_size, stat.st_mtime_ns] == [size, mtime]:
                found[str(key)] = path
    return found


def _page_stats(out: OutputDir, pages: dict[str, str]) -> dict[str, list[Any]]:
    """Each archive page's key → its path, size and modification time, as written."""
    found: dict[str, list[Any]] = {}
    for key, path in pages.items():
        with contextlib.suppress(OSError):
            stat = (out.root / path).stat()
            found[key] = [path, stat.st_size, stat.st_mtime_ns]
    return found


def _revisions(state: dict[str, Any] | None) -> Revisions:
    """The digest entries as the last build published them (see builder.revised);
    anything unreadable is simply not known."""
    found: dict[str, tuple[str, datetime]] = {}
    records = (state or {}).get("digest")
    if isinstance(records, dict):
        for key, value in records.items():
            with contextlib.suppress(TypeError, ValueError):
                revision, updated = value
                stamp = datetime.fromisoformat(updated)
                if isinstance(revision, str) and stamp.tzinfo is not None:
                    found[str(key)] = (revision, stamp)
    return found


def _full_build(sources: dict[Path, bytes | None], out: OutputDir, config: Config,
                inputs: str, started: float, revisions: Revisions,
                known_pages: dict[str, str], salt: str) -> BuildReport:
    from feeds.builder import plan_feeds
    from feeds.cache import ParseCache, load_fragments, save_fragments
    from feeds.loader import load_issues
    from feeds.pages import opml, site_pages, with_page_urls
    from feeds.render import digest_records, prepare_issues, render_feeds
    from feeds.sources import display_path
    from feeds.writer import Content

    cache = ParseCache(out.state / "parsed")
    loaded = load_issues(list(sources), parse_options(config), cache, sources)
    cwd = os.getcwd()
    digests = {display_path(file, cwd): hashlib.sha256(data).hexdigest()
               for file, data in sources.items() if data is not None}
    sources.clear()  # the files' bytes, no longer needed: memory for the rest of the build
    issues = with_page_urls(loaded.issues, config) if config.pages else loaded.issues
    # With archive pages or no item limit every entry is published: serialise those
    # of the issues parsed afresh on all cores. Otherwise only a few are, made on demand.
    every_entry = bool(config.archive_page_size) or not (
        config.max_items and config.section_max_items
        and (config.digest_max_items or not config.digest))
    prepared = prepare_issues([i for i in issues if i.path in loaded.fresh], config,
                              revisions) if every_entry else {}
    feeds = plan_feeds(issues, config, {p: r.entries for p, r in prepared.items()},
                       {p: r.digest for p, r in prepared.items()}, revisions, digests)
    fragments = load_fragments(out.state / "fragments.pickle")
    known = set(fragments)
    for ready in prepared.values():
        fragments.update(ready.fragments)
    pages: dict[str, str] = {}
    files: dict[str, Content] = dict(render_feeds(feeds, config, fragments, known_pages, pages))
    if config.pages:
        files.update(site_pages(issues, feeds, config))
    files["feeds.opml"] = opml(feeds, config)

    def save_caches() -> None:
        with contextlib.suppress(OSError):  # the caches only save time
            cache.save()
            if set(fragments) != known:
                save_fragments(out.state / "fragments.pickle", fragments)

    out.forget_state()
    with ThreadPoolExecutor(1) as background:  # while publishing waits for the disk
        saved = background.submit(save_caches)
        published = out.publish(files)
        saved.result()
    warnings = [[d.path, d.line, d.level, d.message] for d in loaded.diagnostics]
    known_revisions = {k: (r, u.isoformat()) for k, (r, u) in revisions.items()}
    out.write_state(inputs, list(files), {"feeds": len(feeds), "warnings": warnings,
                                          "digest": {**known_revisions, **digest_records(feeds)},
                                          "archive_pages": {"salt": salt,
                                                            "pages": _page_stats(out, pages)}})
    return BuildReport(len(feeds), published.changed, published.unchanged, published.stale,
                       loaded.diagnostics, time.perf_counter() - started)
