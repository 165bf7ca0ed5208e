"""The ``feeds`` command: wires parser, builder and writer, turns errors into exit codes.

Exit codes: 0 success, 1 input errors, 2 usage or config errors, 3 could not
get the lock, 4 could not write, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from feeds.config import Config, ConfigError, load_config, unused_sections
from feeds.model import Diagnostic, Issue, ParseError, utf8_text
from feeds.signals import Interrupted, Stopped, exit_stopped, received, stop_on_signals
from feeds.streams import exit_stream_failed, failed_stream, flush_streams

if TYPE_CHECKING:
    from feeds import publish as publish_module
    from feeds.writer import OutputDir

EXIT_INPUT, EXIT_USAGE, EXIT_LOCK, EXIT_WRITE, EXIT_WORKER = 1, 2, 3, 4, 5
DEFAULT_CONFIG = "feeds.toml"


# compiled on first use (re's cache), as the rarer patterns of the other modules:
# a quiet build prints nothing
_UNPRINTABLE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


def printable(text: str) -> str:
    """The text with every control character (but newline and tab) and every bidi
    control written as an escape (``\\x1b``), and the bytes of a file name that is not
    UTF-8 as ``\\xNN``: a file's name or an issue's text must not drive the terminal,
    reorder what a person reads, nor fail the write."""
    return re.sub(_UNPRINTABLE, lambda m: repr(m.group())[1:-1], utf8_text(text))


def echo(text: str, err: bool = False, lines: bool = False) -> None:
    """``click.echo`` of one line, through :func:`printable` and with a newline in it
    (a file's name may hold one) written ``\\n`` so that it cannot forge a line; of
    several lines if ``lines``, each of which the caller made safe."""
    text = printable(text)
    click.echo(text if lines else text.replace("\n", "\\n"), err=err)


def _config(path: str | None, **overrides: object) -> Config:
    try:
        if path is not None and not Path(path).exists():
            raise ConfigError(f"{path}: no such config file")
        return load_config(Path(path or DEFAULT_CONFIG), overrides)
    except ConfigError as exc:
        echo(f"feeds: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)


def _print_diagnostics(diags: Sequence[Diagnostic], err: bool, levels: tuple[str, ...]) -> None:
    """Each diagnostic of ``levels``, one a line, in one write: a build may have
    thousands (:func:`printable` escapes no newline, so the bytes are each line's)."""
    lines = [str(d) for d in diags if d.level in levels]
    if lines:
        echo("\n".join(lines), err=err, lines=True)


config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                             help=f"Config file (default: ./{DEFAULT_CONFIG} if present).")
issues_option = click.option("--issues", "issues_dir", default="issues", show_default=True,
                             type=click.Path(file_okay=False, path_type=Path),
                             help="Folder of issue files.")
output_option = click.option("--output", default="output", show_default=True,
                             type=click.Path(file_okay=False, path_type=Path),
                             help="Folder the feeds are published into.")
state_option = click.option("--state", "state_dir", type=click.Path(file_okay=False, path_type=Path),
                            help="Folder of the build's state (default: .feeds next to the "
                                 "config file, or the config's 'state' key).")


def _utf8_folder(folder: Path, what: str, advice: str, resolved: bool = False) -> None:
    """Exit 2 when the folder's name (or, if ``resolved``, its full path) is not valid
    UTF-8: every path under it would be, and no database, feed or terminal takes one."""
    from feeds.model import shown_path, utf8_name

    for path, part in ((folder, "name"), *(((folder.resolve(), "path"),) if resolved else ())):
        if not utf8_name(str(path)):
            echo(f"feeds: error: {shown_path(path)}: {what} {part} is not valid UTF-8; "
                 f"{advice}", err=True)
            sys.exit(EXIT_USAGE)


def _utf8_folders(paths: Sequence[Path]) -> None:
    """:func:`_utf8_folder` for the folders among a command's arguments (a file among
    them is an input error, named like any issue file)."""
    for path in paths:
        if path.is_dir():
            _utf8_folder(path, "the folder's", "rename it")


ISSUES_ADVICE = "rename it or choose another --issues folder"
OUTPUT_ADVICE = "choose another --output folder"


def _state(state_dir: Path | None, config_path: str | None, config: Config) -> Path:
    """Where the state lives: --state, else the config's key (relative to the config
    file's folder), else .feeds beside the config file. Exits 2 if Python's SQLite
    cannot hold it (its tables are STRICT: SQLite 3.37 or later)."""
    import sqlite3

    from feeds.store import SQLITE_NEEDED

    if sqlite3.sqlite_version_info < SQLITE_NEEDED:
        echo(f"feeds: error: the build's state needs SQLite {'.'.join(map(str, SQLITE_NEEDED))} "
             f"or later; this Python's sqlite3 module has {sqlite3.sqlite_version}", err=True)
        sys.exit(EXIT_USAGE)
    if state_dir is not None:
        return state_dir
    return Path(config_path or DEFAULT_CONFIG).parent / (config.state or ".feeds")


class _Commands(click.Group):
    """click's group, except that a failed write to standard output or error reaches
    :func:`main` (click would take a closed pipe for an error and exit 1)."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _stream_failures():  # --help and --version print here
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> object:
        with _stream_failures():
            return super().invoke(ctx)


@contextlib.contextmanager
def _stream_failures() -> Iterator[None]:
    """Raise a failed write to standard output or error as StreamFailed."""
    try:
        yield
    except OSError as exc:
        failed = failed_stream(exc)
        if failed is None:
            raise
        raise failed from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="feeds")
def cli() -> None:
    """Publish the newsletter in issues/ as RSS 2.0 and Atom 1.0 feeds."""
    # A build makes millions of short-lived objects and hardly any cycles; looking
    # for cycles every 700 allocations cost a twentieth of a large build's time.
    gc.set_threshold(50_000, 20, 100)


def github_annotation(d: Diagnostic) -> str:
    """``d`` as a GitHub Actions workflow command, shown on the file's line in a pull request."""

    def escape(text: str, prop: bool = False) -> str:
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if prop else text

    where = f"file={escape(d.path, True)}" + (f",line={d.line}" if d.line else "")
    return f"::{d.level} {where},title=feeds::{escape(str(d))}"


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@config_option
@click.option("--format", "output_format", type=click.Choice(["text", "github"]),
              default="text", show_default=True,
              help="github: GitHub Actions annotations (::error file=…,line=…::…).")
def check(paths: tuple[Path, ...], config_path: str | None, output_format: str) -> None:
    """Parse issues and report every problem as path:line: level: message.

    Exits 0 when there are no errors and 1 when there are: fit for a pre-commit
    hook or CI.
    """
    from feeds.loader import load_issues
    from feeds.site import parse_options
    from feeds.sources import find_issue_files

    config = _config(config_path)
    targets = list(paths) or [Path("issues")]
    _utf8_folders(targets)
    count = len(find_issue_files(targets))
    try:
        loaded = load_issues(targets, parse_options(config))
        diags = loaded.diagnostics
        if not paths:  # every issue: a [sections] key none has is worth a word
            held = {(s.name, s.slug) for issue in loaded.issues for s in issue.sections}
            diags = (*diags, *unused_sections(config, lambda n, s: (n, s) in held))
    except ParseError as exc:
        diags = exc.diagnostics
    if output_format == "github":
        for d in diags:
            echo(github_annotation(d))
    else:
        _print_diagnostics(diags, err=False, levels=("error", "warning"))
    errors = sum(d.level == "error" for d in diags)
    warnings = len(diags) - errors
    files = f"{count} file" + ("" if count == 1 else "s")
    echo(f"checked {files}: {errors} error{'s' * (errors != 1)}, "
         f"{warnings} warning{'s' * (warnings != 1)}")
    sys.exit(EXIT_INPUT if errors else 0)


def _issue_json(issue: Issue) -> dict[str, object]:
    return {
        "path": issue.path, "name": issue.name, "year": issue.year, "number": issue.number,
        "date": issue.date.isoformat() if issue.date else None,
        "date_source": issue.date_source, "url": issue.url, "intro": issue.intro_text,
        "sections": [{
            "name": s.name, "slug": s.slug,
            "articles": [{
                "position": a.position, "title": a.title, "url": a.url,
                "summary": a.summary_text, "summary_html": a.summary_html,
                "author": a.author, "source": a.source, "tags": list(a.tags), "line": a.line,
            } for a in s.articles],
        } for s in issue.sections],
    }


@cli.command("list")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts and jq.")
@config_option
def list_(paths: tuple[Path, ...], as_json: bool, config_path: str | None) -> None:
    """Show the parsed issues and their articles."""
    from feeds.loader import load_issues
    from feeds.site import parse_options

    config = _config(config_path)
    _utf8_folders(list(paths) or [Path("issues")])
    try:
        loaded = load_issues(list(paths) or [Path("issues")], parse_options(config))
    except ParseError as exc:
        _print_diagnostics(exc.diagnostics, err=True, levels=("error", "warning"))
        sys.exit(EXIT_INPUT)
    _print_diagnostics(loaded.diagnostics, err=True, levels=("warning",))
    if as_json:
        data = [_issue_json(i) for i in loaded.issues]
        echo(json.dumps(data, ensure_ascii=False, indent=2), lines=True)
        return
    for issue in loaded.issues:
        day = issue.date.date().isoformat() if issue.date else "?"
        echo(f"{issue.name} {issue.year} 年第 {issue.number} 期  {day}  {issue.path}")
        for section in issue.sections:
            echo(f"  {section.name} [{section.slug}]")
            for a in section.articles:
                echo(f"    {a.position}. {a.title}")
                echo(f"       {a.url}")


@cli.command()
@issues_option
@output_option
@config_option
@state_option
@click.option("--base-url", help="Public URL of the output folder (overrides base_url).")
@click.option("--wait", default=60.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds to wait for another build's lock before giving up (exit 3).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless something is wrong.")
@click.option("-v", "--verbose", is_flag=True, help="Also list unchanged files.")
@click.option("--publish", "publish_to", metavar="TARGET",
              help="After a successful build, publish to s3://bucket/prefix "
                   "(default: [publish] target when [publish] on_build = true).")
def build(issues_dir: Path, output: Path, config_path: str | None, state_dir: Path | None,
          base_url: str | None, wait: float, quiet: bool, verbose: bool,
          publish_to: str | None) -> None:
    """Build every feed from the issues into the output folder.

    Nothing is written unless every issue parses; only files whose bytes
    changed are replaced, each atomically.
    """
    config = _config(config_path, base_url=base_url)
    _utf8_folder(issues_dir, "the issues folder's", ISSUES_ADVICE)
    _utf8_folder(output, "the output folder's", OUTPUT_ADVICE, resolved=True)
    _refuse_output_with_sources(output, config_path, issues_dir)
    if publish_to is None and config.publish.get("on_build"):
        publish_to = _publish_target(None, config)
    changed: list[str] = []
    state = _state(state_dir, config_path, config)
    code = _build_and_report(issues_dir, output, config, state, wait, quiet, verbose, changed)
    if not code and publish_to:
        code = _publish_and_report(output, state, publish_to, config, False, False, quiet, wait)
    elif not code and config.websub_on_build:
        _ping_hubs(config, changed)
    if code:
        sys.exit(code)


def _refuse_output_with_sources(output: Path, config_path: str | None,
                                issues_dir: Path | None) -> None:
    """Exit 2 when ``output`` is or holds the issues folder or the project folder (the
    config file's): publishing it would publish them too, and a build would write into them."""
    where = output.resolve()
    project = Path(config_path or DEFAULT_CONFIG).parent
    for folder, what in ((issues_dir, "the issues folder"), (project, "the project folder")):
        if folder is not None and folder.resolve().is_relative_to(where):
            echo(f"feeds: error: {output}: the output folder is or holds {what} "
                 f"{folder.resolve()}; choose another --output folder", err=True)
            sys.exit(EXIT_USAGE)


def _build_and_report(issues_dir: Path, output: Path, config: Config, state: Path, wait: float,
                      quiet: bool, verbose: bool, changed: list[str] | None = None) -> int:
    """Run one build and print what happened; return the exit code. The changed
    files' paths are appended to ``changed``."""
    from feeds.model import TemplateError
    from feeds.site import run_build
    from feeds.writer import LockError, WriteError

    if not issues_dir.is_dir():
        echo(f"feeds: error: {issues_dir}: no such folder of issues", err=True)
        return EXIT_USAGE
    if state.resolve().is_relative_to(output.resolve()):
        echo(f"feeds: error: {state}: the state folder is inside the output folder "
             f"{output}, which is published; move it with --state or the config's "
             "'state' key", err=True)
        return EXIT_USAGE
    try:
        report = run_build(issues_dir, output, config, wait, state)
    except ParseError as exc:
        _print_diagnostics(exc.diagnostics, err=True, levels=("error", "warning"))
        n = len(exc.errors)
        echo(f"feeds: {n} error{'s' * (n != 1)}; nothing was written", err=True)
        return EXIT_INPUT
    except TemplateError as exc:
        echo(f"{exc}\nfeeds: the templates have an error; nothing was written", err=True,
             lines=True)
        return EXIT_USAGE
    except (LockError, WriteError) as exc:
        return _folder_failed(exc)
    if changed is not None:
        changed.extend(report.changed)
    if quiet:
        return 0
    _print_diagnostics(report.warnings, err=True, levels=("warning",))
    for rel in report.stale:
        echo(f"{output / rel}: warning: no longer produced; kept, not deleted", err=True)
    for rel in report.changed:
        echo(f"wrote {output / rel}")
    if verbose:
        for rel in report.unchanged:
            echo(f"unchanged {output / rel}")
    summary = f"{report.feeds} feeds, {len(report.changed)} changed, {report.seconds:.2f} s"
    if not report.changed:
        summary += " (nothing changed)"
    echo(summary)
    return 0


@cli.command()
@issues_option
@config_option
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]),
              help="The issue's date, YYYY-MM-DD (default: today in the configured time zone).")
@click.option("--number", type=click.IntRange(min=1),
              help="The issue's number (default: the one after the latest issue).")
def new(issues_dir: Path, config_path: str | None, day: datetime | None,
        number: int | None) -> None:
    """Start the next issue: ISSUES/<date>-<number>.md with its date, heading and sections.

    Never overwrites a file; prints the new file's path.
    """
    from feeds.loader import load_issues
    from feeds.newissue import new_issue
    from feeds.site import parse_options

    config = _config(config_path)
    _utf8_folder(issues_dir, "the issues folder's", ISSUES_ADVICE)
    try:
        history = load_issues([issues_dir], parse_options(config)).issues \
            if issues_dir.is_dir() else ()
    except ParseError as exc:
        _print_diagnostics(exc.diagnostics, err=True, levels=("error",))
        echo("feeds: error: fix the issues above before starting a new one", err=True)
        sys.exit(EXIT_INPUT)
    when = day.date() if day else datetime.now(config.tz).date()
    try:
        made = new_issue(history, when, number, config.title, list(config.sections))
    except ValueError as exc:
        echo(f"feeds: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    for issue in history:
        if (issue.year, issue.number) == (made.year, made.number):
            echo(f"feeds: error: issue {made.year} No. {made.number} already exists in "
                 f"{issue.path}; choose another --number", err=True)
            sys.exit(EXIT_USAGE)
    path = issues_dir / made.name
    try:
        issues_dir.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(made.text)
    except FileExistsError:
        echo(f"feeds: error: {path}: already exists; not overwritten", err=True)
        sys.exit(EXIT_WRITE)
    except OSError as exc:
        echo(f"feeds: error: {path}: cannot write: {exc.strerror}", err=True)
        sys.exit(EXIT_WRITE)
    echo(str(path))


def _rebuild(issues_dir: Path, output: Path, config: Config, state: Path) -> None:
    """A rebuild of the preview after an issue changed; its report was printed."""
    _build_and_report(issues_dir, output, config, state, 60.0, False, False)


PREVIEW = "preview"  # the preview's folder, in the state folder: output/ never sees it


def _browser_url(bind: str, port: int) -> str:
    """The URL of the server at ``bind``: an address meaning "every interface" (``0.0.0.0``,
    ``::``) is no address a browser can open, so such a server is named by its loopback one."""
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(bind, bind)
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _fresh_preview(preview: Path, url: str) -> int:
    """Empty the preview's site when it was built for another URL (another port): its
    files, archive pages most of all, would pile up run after run. Return the exit code."""
    import shutil

    site, record = preview / "site", preview / "url"
    try:
        if record.is_file() and record.read_text(encoding="utf-8") == url:
            return 0
        if site.is_symlink():
            site.unlink()
        elif site.exists():
            shutil.rmtree(site)
        preview.mkdir(parents=True, exist_ok=True)
        record.write_text(url, encoding="utf-8")
    except OSError as exc:
        echo(f"feeds: error: {exc.filename or preview}: cannot prepare the preview: "
             f"{exc.strerror}", err=True)
        return EXIT_WRITE
    return 0


@cli.command()
@issues_option
@config_option
@state_option
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--watch", is_flag=True, help="Rebuild whenever the issues change.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request.")
def serve(issues_dir: Path, config_path: str | None, state_dir: Path | None,
          port: int, bind: str, watch: bool, verbose: bool) -> None:
    """Build a preview with base_url set to the local address, and serve it.

    The preview is built into preview/ in the state folder, with a state of its
    own: the output folder and the build's state are never touched. Point a feed
    reader at the printed address to try the feeds before publishing.
    """
    import threading

    from feeds.serve import make_server
    from feeds.serve import watch as watch_issues
    from feeds.sources import find_issue_files, fingerprint, read_files

    preview = _state(state_dir, config_path, _config(config_path)) / PREVIEW
    site, state = preview / "site", preview / "state"
    _utf8_folder(issues_dir, "the issues folder's", ISSUES_ADVICE)
    _utf8_folder(site, "the preview folder's", "choose another --state folder", resolved=True)
    try:
        server = make_server(site, bind, port, verbose)
    except OSError as exc:
        echo(f"feeds: error: cannot listen on {bind}:{port}: {exc.strerror}", err=True)
        sys.exit(EXIT_USAGE)
    local = _browser_url(bind, server.server_address[1])
    config = _config(config_path, base_url=local)
    code = _fresh_preview(preview, local) or \
        _build_and_report(issues_dir, site, config, state, 60.0, False, False)
    if code:
        server.server_close()
        sys.exit(code)
    echo(f"serving {site} at {local} (Ctrl-C to stop)")
    stop = threading.Event()
    if watch:
        watch_issues(lambda: fingerprint(read_files(find_issue_files([issues_dir]))),
                     partial(_rebuild, issues_dir, site, config, state), stop)
    try:
        server.serve_forever()
    except Interrupted:
        echo("stopped")
    finally:
        stop.set()
        server.server_close()


def _publish_target(target: str | None, config: Config) -> str:
    if target:
        return target
    if not config.publish.get("target"):
        echo("feeds: error: no target: give s3://bucket/prefix or set target in the "
             "config's [publish]", err=True)
        sys.exit(EXIT_USAGE)
    return str(config.publish["target"])


def _ping_hubs(config: Config, changed: Sequence[str]) -> None:
    """Tell the configured WebSub hubs of the changed feeds; a failing hub is a warning."""
    from feeds.websub import changed_feed_urls, ping

    urls = changed_feed_urls(changed, config.base_url)
    for warning in ping(config.websub_hubs, urls) if config.websub_hubs else ():
        echo(f"feeds: warning: {warning}", err=True)


@cli.command()
@click.argument("target", required=False)
@output_option
@config_option
@state_option
@click.option("--delete", is_flag=True,
              help="Also delete objects this tool uploaded that are no longer built (never an "
                   "archive page, nor one that an object staying links to).")
@click.option("-n", "--dry-run", is_flag=True, help="List what would be uploaded or deleted.")
@click.option("--wait", default=60.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds to wait for a running build's lock before giving up (exit 3).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless something is wrong.")
def publish(target: str | None, output: Path, config_path: str | None, state_dir: Path | None,
            delete: bool, dry_run: bool, wait: float, quiet: bool) -> None:
    """Upload the output folder to S3-compatible storage: TARGET is s3://bucket/prefix.

    The files are those the last build into the folder published (by the build
    state's manifest). Only files whose bytes differ from the bucket's are uploaded, with their
    content type and cache policy, in an order where what is linked comes
    before what links to it. A rerun after a failure completes the job.
    """
    config = _config(config_path)
    _utf8_folder(output, "the output folder's", OUTPUT_ADVICE, resolved=True)
    _refuse_output_with_sources(output, config_path, None)
    code = _publish_and_report(output, _state(state_dir, config_path, config),
                               _publish_target(target, config), config, delete, dry_run, quiet,
                               wait)
    if code:
        sys.exit(code)


def _publish_and_report(output: Path, state: Path, target_text: str, config: Config,
                        delete: bool, dry_run: bool, quiet: bool, wait: float) -> int:
    """Publish the files the last build into ``output`` published (by the manifest in
    ``state``) to the target and print what happened; return the exit code.

    The build lock is held throughout, so that no build changes the files half-way.
    """
    from feeds import publish as storage
    from feeds.links import LinkReader
    from feeds.writer import LockError, OutputDir, WriteError

    folder = OutputDir(output, state)
    if not folder.owned():  # never --delete everything by mistake; checked again under the lock
        return _nothing_to_publish(output)
    settings = config.publish
    conn = storage.Connection(settings.get("endpoint_url"), settings.get("region"),
                              settings.get("profile"), storage.attempts_from_env())
    try:
        target = storage.parse_target(target_text)
        client = storage.make_client(conn)
        with folder.locked(wait):
            files = _owned_files(folder)
            if not files:
                return _nothing_to_publish(output)
            stale = folder.no_longer_built(rel for rel, _ in files) if delete else set()
            plan = storage.plan(files, target, client, delete, conn, stale,
                                LinkReader(config.base_url))
            if not quiet or dry_run:
                for rel, source in sorted(plan.linked.items()):
                    echo(f"kept {target.url(rel)}: no longer built, but "
                         f"{target.url(source)} links to it")
            if dry_run:
                _print_plan(plan, target)
                return 0
            report = _run_with_progress(plan, target, client, quiet)
    except (LockError, WriteError) as exc:
        return _folder_failed(exc)
    except storage.PublishError as exc:
        again = "; run the same command again to finish" if exc.code == EXIT_WRITE else ""
        echo(f"feeds: error: {exc}{again}", err=True)
        return exc.code
    if not quiet:
        for rel in report.deleted:
            echo(f"deleted {target.url(rel)}")
        echo(f"{len(report.uploaded)} uploaded, {len(report.deleted)} deleted, "
             f"{storage.human_size(report.bytes)}, {report.seconds:.1f} s")
    _ping_hubs(config, report.uploaded)
    return 0


def _nothing_to_publish(output: Path) -> int:
    echo(f"feeds: error: {output}: nothing to publish; run 'feeds build' first", err=True)
    return EXIT_USAGE


def _folder_failed(exc: Exception) -> int:
    """Say why the output folder could not be used; the exit code: 3 for its lock
    (another build holds it), 2 for a state folder that cannot be one, 4 for a file that
    cannot be read or written."""
    from feeds.writer import LockError, StateFolderError

    echo(f"feeds: error: {exc}", err=True)
    if isinstance(exc, StateFolderError):
        return EXIT_USAGE
    return EXIT_LOCK if isinstance(exc, LockError) else EXIT_WRITE


def _owned_files(folder: OutputDir) -> list[tuple[str, Path]]:
    """The files of ``folder`` that a build published (its manifest), and the archive pages
    it kept (:meth:`~feeds.writer.OutputDir.archive_page`); any other file found there (copied
    in by hand, a key, notes) is named in a warning and never uploaded."""
    from feeds.hosting import published_files

    owned = folder.owned()
    files = []
    for rel, path in published_files(folder.root):
        if rel in owned or folder.archive_page(rel):
            files.append((rel, path))
        else:
            echo(f"feeds: warning: {path}: not written by feeds; not uploaded", err=True)
    return files


def _print_plan(plan: publish_module.Plan, target: publish_module.Target) -> None:
    from feeds.publish import human_size

    for upload in plan.uploads:
        echo(f"would upload {target.url(upload.rel)} ({upload.policy.content_type}, "
             f"{human_size(upload.size)})")
    for rel in plan.deletes:
        echo(f"would delete {target.url(rel)}")
    echo(f"dry run: {len(plan.uploads)} to upload, {len(plan.deletes)} to delete, "
         f"{human_size(sum(u.size for u in plan.uploads))}")


def _run_with_progress(plan: publish_module.Plan, target: publish_module.Target, client: object,
                       quiet: bool) -> publish_module.Report:
    """Upload with a progress bar on a terminal, one line per object otherwise."""
    from feeds.publish import run

    if quiet or not plan.uploads:
        return run(plan, target, client)
    if not sys.stderr.isatty():
        return run(plan, target, client, lambda u: echo(f"uploaded {target.url(u.rel)}"))
    with click.progressbar(length=sum(u.size for u in plan.uploads), label="uploading",
                           file=sys.stderr) as bar:
        return run(plan, target, client, lambda u: bar.update(u.size))


def main() -> None:
    """Entry point: no Python traceback ever reaches the user.

    Ctrl-C and SIGTERM unwind the run (click would turn Ctrl-C into "Aborted!"
    and exit 1, the code of input errors) and exit 130 and 143.
    """
    stop_on_signals()
    try:
        try:
            cli.main(prog_name="feeds")
        finally:
            flush_streams()
    except Stopped as exc:
        exit_stopped(exc)
    except SystemExit:
        stop = received()
        if stop is not None:  # raised where Python could not raise it (a __del__): the
            exit_stopped(stop)  # run went on to its end, and was stopped all the same
        raise
    except Exception as exc:  # a bug, reported as one line rather than a traceback
        stop = received()
        if stop is not None:  # a signal's exception replaced as it unwound (a thread's
            exit_stopped(stop)  # join interrupted, say): the run was stopped all the same
        failed = failed_stream(exc)
        if failed is not None:
            exit_stream_failed(failed)
        if _worker_died(exc):
            echo("feeds: error: a worker process died before its work was done (killed by a "
                 "signal, or by the system when short of memory); nothing was published or "
                 "saved: run the command again", err=True)
            sys.exit(EXIT_WORKER)
        echo(f"feeds: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(70)


def _worker_died(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) says a pool's worker process was
    killed: not a bug of ours, and the build it ends leaves every file and the state as
    they were (see feeds.parallel)."""
    broken = sys.modules.get("concurrent.futures.process")
    if broken is None:  # no pool was started
        return False
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, broken.BrokenProcessPool):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False
