"""The package's own templates, compiled to Python modules ahead of time.

Compiling the templates from source cost every build that renders a page about
60 ms. ``python -m feeds.precompiled`` (``make templates``) compiles them once,
with jinja2's ``Environment.compile_templates``, into ``feeds/compiled_templates/``,
next to a digest of the sources and of the jinja2 version that compiled them; a
test fails when the committed modules differ from what the sources give.

A build loads them as it loads any other module of the package, and only when
the digest still matches the sources and the installed jinja2: an edited
template or another jinja2 is compiled from source as before. Nothing here is
read from the state folder or ``output/``.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

if TYPE_CHECKING:
    from collections.abc import Callable

PACKAGE: Path = Path(__file__).resolve().parent
TEMPLATES: Path = PACKAGE / "templates"
COMPILED: Path = PACKAGE / "compiled_templates"
DIGEST = "SOURCES.sha256"


def sources_digest() -> str:
    """A digest of the jinja2 version and of every template's name and bytes."""
    digest = hashlib.sha256(f"jinja2 {jinja2.__version__}\0".encode())
    for path in sorted(TEMPLATES.iterdir()):
        digest.update(f"{path.name}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


def loader() -> jinja2.BaseLoader | None:
    """A loader of the compiled templates, or None when they are not those of the
    package's templates and this jinja2 (then they are compiled from source)."""
    try:
        recorded = (COMPILED / DIGEST).read_text("ascii").strip()
        current = sources_digest()
    except (OSError, UnicodeDecodeError):
        return None
    return jinja2.ModuleLoader(COMPILED) if recorded == current else None


def write(environment: Callable[[jinja2.BaseLoader], jinja2.Environment],
          target: Path = COMPILED) -> None:
    """Compile the package's templates into ``target``, in the environment that
    ``environment`` makes around a loader (the one every page is rendered in)."""
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("tmpl_*.py"):
        old.unlink()
    env = environment(jinja2.FileSystemLoader(str(TEMPLATES)))
    env.compile_templates(str(target), zip=None, ignore_errors=False)
    (target / DIGEST).write_text(sources_digest() + "\n", "ascii")


if __name__ == "__main__":
    from feeds.pages import template_environment

    write(template_environment, Path(sys.argv[1]) if len(sys.argv) > 1 else COMPILED)
