"""Stable, URL-safe ASCII slugs for section names (pinyin for Chinese).

pypinyin needs a quarter of a second and some 57 MB to load its dictionaries,
so a slug once worked out is remembered (the parse cache keeps them between
runs) and new ones can be worked out in a helper process (:class:`SlugHelper`)
that loads pypinyin while the build parses: parse workers never load it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import select
import sys
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?")  # made here or set in [sections]
_known: dict[str, str] = {}
_slugs: set[str] = set()  # those found to be slugs: a plan asks for the same few thousands of times


def is_slug(value: object) -> bool:
    """Whether ``value`` has the form of a slug (one read back from the state may not:
    a planted ``../x`` would name a folder outside ``sections/``)."""
    if not isinstance(value, str):
        return False
    if value not in _slugs:
        if _SLUG.fullmatch(value) is None:
            return False
        _slugs.add(value)
    return True


def slugify(name: str) -> str:
    """``分布式系统`` -> ``fen-bu-shi-xi-tong``; never empty, never holds ``/`` or ``..``."""
    slug = _known.get(name)
    if slug is None:
        slug = _known[name] = _pinyin_slug(name)
    return slug


def known_slug(name: str) -> str | None:
    """The slug of ``name`` if it is already worked out, without loading pypinyin."""
    return _known.get(name)


def _pinyin_slug(name: str) -> str:
    from pypinyin import Style, lazy_pinyin  # imported only when a new name turns up

    words = lazy_pinyin(name, style=Style.NORMAL, errors="default")
    ascii_text = unicodedata.normalize("NFKD", " ".join(words))
    ascii_text = ascii_text.encode("ascii", "ignore").decode().lower()
    slug = _NON_ALNUM.sub("-", ascii_text).strip("-")[:80].strip("-")
    if not slug:
        slug = "section-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return slug


def known_slugs() -> dict[str, str]:
    """Every slug worked out so far, to keep between runs (pypinyin is slow to load)."""
    return dict(_known)


def learn_slugs(slugs: dict[str, str]) -> None:
    """Take slugs worked out by an earlier run; they are a pure function of the name."""
    _known.update({k: v for k, v in slugs.items() if isinstance(k, str) and is_slug(v)})


class SlugHelper:
    """A ``python -m feeds.slugs`` process that loads pypinyin at once, then makes
    the slugs of each batch of names it is sent (a line of JSON each way).

    Started before a large parse, it loads pypinyin while the parse runs, in a
    process of its own, so no build process carries the dictionaries. It dies
    with the process that started it (see feeds.signals.die_with_parent).
    """

    TIMEOUT = 60.0

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.failed = False
        self.asked = False

    @classmethod
    def start(cls) -> SlugHelper | None:
        """The helper, started; None if it cannot be (the caller makes the slugs)."""
        import subprocess  # only a build that meets new section names starts one

        package_parent = str(Path(__file__).resolve().parent.parent)
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": package_parent + (os.pathsep + path if path else "")}
        try:
            return cls(subprocess.Popen(
                [sys.executable, "-m", "feeds.slugs", str(os.getpid())], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env))
        except (OSError, ValueError):
            return None

    def slugs(self, names: list[str]) -> dict[str, str] | None:
        """The slugs of ``names``, or None if the helper failed (the caller makes them).

        One line of names out, one line of slugs back: it may be asked again, even
        while forked workers hold copies of its pipes. Once it fails it is not asked again.
        """
        if self.failed:
            return None
        self.asked = True
        made = self._ask(names)
        if not isinstance(made, dict) or set(made) != set(names) \
                or not all(isinstance(v, str) and v for v in made.values()):
            self.failed = True
            return None
        return made

    def _ask(self, names: list[str]) -> object:
        stdin, stdout = self.process.stdin, self.process.stdout
        if stdin is None or stdout is None:
            return None
        deadline = time.monotonic() + self.TIMEOUT
        try:
            stdin.write(json.dumps(names).encode("ascii") + b"\n")
            stdin.flush()
            got = b""
            while not got.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([stdout], [], [], left)[0]:
                    return None
                part = os.read(stdout.fileno(), 65536)
                if not part:
                    return None
                got += part
            return json.loads(got)
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        """Stop the helper, whether or not it was used: one that answered ends at
        the end of its input, any other (unused, hung, or kept alive by a forked
        worker's copy of its pipe) is killed."""
        import subprocess

        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        if self.asked and not self.failed:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=0.5)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def resolve_slugs(names: Iterable[str], helper: SlugHelper | None = None) -> dict[str, str]:
    """The slug of every name: known ones at once, new ones from ``helper`` (or made
    here when there is no helper or it failed), and remembered."""
    wanted = sorted(set(names))
    new = [name for name in wanted if name not in _known]
    if new:
        made = helper.slugs(new) if helper is not None else None
        _known.update(made if made is not None else {name: _pinyin_slug(name) for name in new})
    return {name: _known[name] for name in wanted}


def _serve(parent: int | None) -> None:
    """The helper's side: load pypinyin, then answer each line of names."""
    if parent is not None:
        from feeds.signals import die_with_parent

        die_with_parent(parent)
    _pinyin_slug("分")
    for line in sys.stdin:
        names = json.loads(line)
        sys.stdout.write(json.dumps({name: _pinyin_slug(name) for name in names}) + "\n")
        sys.stdout.flush()
    # at the end of its input, gone at once: the build waits for it, and freeing the
    # dictionaries on the way out took it 0.1-0.15 s
    os._exit(0)


if __name__ == "__main__":
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else None)
