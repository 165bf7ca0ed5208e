"""The Python API's functions: what the command line does, for a script or a bot.

Each raises the same exceptions the commands turn into exit codes
(:class:`~feeds.model.ParseError`, :class:`~feeds.config.ConfigError`,
:class:`~feeds.writer.LockError`, :class:`~feeds.writer.WriteError`) and prints nothing.
"""

from __future__ import annotations

from pathlib import Path

from feeds.config import Config
from feeds.loader import Loaded, load_issues
from feeds.model import ParseResult
from feeds.site import BuildReport, parse_options, run_build


def parse_file(path: str | Path, config: Config | None = None) -> ParseResult:
    """One issue file parsed, with its warnings; its date found as a build finds it
    (front matter, file name, git, modification time)."""
    loaded = load_issues([Path(path)], parse_options(config or Config()))
    if len(loaded.issues) != 1:
        raise FileNotFoundError(f"{path}: not an issue file")
    return ParseResult(loaded.issues[0], loaded.diagnostics)


def load_folder(folder: str | Path, config: Config | None = None) -> Loaded:
    """Every issue under ``folder``, oldest first, with every warning; raises
    ParseError listing every error of every file."""
    return load_issues([Path(folder)], parse_options(config or Config()))


def build_site(issues: str | Path, output: str | Path, config: Config | None = None,
               wait: float = 0.0, state: str | Path | None = None) -> BuildReport:
    """Build every feed from ``issues`` into ``output``, as ``feeds build`` does; the
    report says which files changed. ``wait`` is how long to wait for another build's lock;
    ``state`` is the build state's folder (by default the config's ``state`` or ``.feeds``,
    beside ``output``)."""
    config = config or Config()
    where = Path(state) if state is not None else \
        Path(output).parent / (config.state or ".feeds")
    return run_build(Path(issues), Path(output), config, wait, where)
