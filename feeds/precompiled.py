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
from collections.abc import Callable, MutableMapping
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2
import markupsafe
from markupsafe import Markup

PACKAGE: Path = Path(__file__).resolve().parent
TEMPLATES: Path = PACKAGE / "templates"
COMPILED: Path = PACKAGE / "compiled_templates"
DIGEST = "SOURCES.sha256"
_LOADERS: dict[Path, _Loader] = {}  # one for each folder: see loader()


def sources_digest() -> str:
    """A digest of the jinja2 version and of every template's name and bytes."""
    digest = hashlib.sha256(f"jinja2 {jinja2.__version__}\0".encode())
    for path in sorted(TEMPLATES.iterdir()):
        digest.update(f"{path.name}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


def loader() -> jinja2.BaseLoader | None:
    """The loader of the compiled templates, or None when they are not those of the
    package's templates and this jinja2 (then they are compiled from source).

    One loader (of a folder) serves the whole process: it reads each template's code
    once (see :class:`_Loader`)."""
    try:
        recorded = (COMPILED / DIGEST).read_text("ascii").strip()
        current = sources_digest()
    except (OSError, UnicodeDecodeError):
        return None
    if recorded != current:
        return None
    made = _LOADERS.get(COMPILED)
    if made is None:
        made = _LOADERS[COMPILED] = _Loader(COMPILED)
    return made


# The compiled templates escape each value with markupsafe.escape, some 300,000 times
# for the pages of 1,000 issues; each call wraps its text in Markup through Markup's
# Python constructor. fast_escape gives the same text without it (a quarter of the
# pages' rendering); False: markupsafe.escape (the reference).
FAST_ESCAPE = True
_escape_inner: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)
_markup = str.__new__


def fast_escape(value: object) -> Markup:
    """:func:`markupsafe.escape`, the same text and type, without Markup's constructor:
    a plain string escaped, a Markup as it is, anything with ``__html__`` its HTML,
    anything else its ``str`` escaped."""
    if _escape_inner is None:
        return markupsafe.escape(value)
    if type(value) is str:
        return _markup(Markup, _escape_inner(value))
    if type(value) is Markup:
        return value
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    return _markup(Markup, _escape_inner(str(value)))


class _Loader(jinja2.BaseLoader):
    """The compiled templates of ``folder``, escaping with :func:`fast_escape` (see
    :data:`FAST_ESCAPE`): each template's module code (from its ``.pyc``, as an import
    reads it) is run into a namespace of its own at every load, as
    ``jinja2.ModuleLoader`` runs it, but without importing it. An import would register
    it in ``sys.modules`` (``ModuleLoader`` puts a weak proxy of its package there, which
    dies with the loader: a thread walking ``sys.modules`` meanwhile, as ``unittest``'s
    ``assertWarns`` or ``inspect.getmodule`` do, met it dead and raised
    ``ReferenceError``) and hold the module name's import lock while it runs (a child
    forked meanwhile by a build on another thread, as ``feeds.apart`` forks one for the
    pages, would be born with that lock held and hang on its first page)."""

    has_source_access = False

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._code: dict[str, CodeType] = {}  # by template key: read once a process

    def load(self, environment: jinja2.Environment, name: str,
             globals: MutableMapping[str, Any] | None = None) -> jinja2.Template:
        key = jinja2.ModuleLoader.get_template_key(name)
        path = self.folder / f"{key}.py"
        module = f"{__package__}.compiled_templates.{key}"
        code = self._code.get(key)
        if code is None:
            if not path.is_file():
                raise jinja2.TemplateNotFound(name)
            made = SourceFileLoader(module, str(path)).get_code(module)
            if made is None:
                raise jinja2.TemplateNotFound(name)
            code = self._code[key] = made
        namespace: dict[str, Any] = {"__name__": module, "__file__": str(path)}
        exec(code, namespace)  # the package's own code, as an import would run it
        # the name each compiled module's code calls (from jinja2.runtime import escape)
        namespace["escape"] = fast_escape if FAST_ESCAPE else markupsafe.escape
        return environment.template_class.from_module_dict(
            environment, namespace, {} if globals is None else globals)


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
