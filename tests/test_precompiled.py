"""The package's templates compiled ahead of time: committed as the sources compile,
used when current, and making the same bytes as the sources."""

from __future__ import annotations

import gc
import shutil
import sys
import threading
from pathlib import Path

import jinja2
import pytest
from conftest import SEED
from test_build import CONFIG, SECOND, all_files, build, write_project
from test_pages import HOSTILE, THIRD

from feeds import pages, precompiled
from feeds.child import Child
from feeds.config import Config
from feeds.pages import template_environment

ISSUES = {"2024-07-20-29.md": SEED.read_bytes(), "2024-07-27-30.md": SECOND,
          "2024-08-03-31.md": HOSTILE, "2025-01-03-1.md": THIRD}


def test_the_committed_modules_are_what_the_templates_compile_to(tmp_path: Path) -> None:
    precompiled.write(template_environment, tmp_path)
    made = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in precompiled.COMPILED.iterdir() if p.is_file()}
    assert len(made) == len(list(precompiled.TEMPLATES.iterdir())) + 1
    assert made == committed, "templates changed: run `make templates` and commit the result"


def _loader_used(monkeypatch: pytest.MonkeyPatch) -> list[type[jinja2.BaseLoader]]:
    used: list[type[jinja2.BaseLoader]] = []
    environment = pages._environment

    def spied(config: Config) -> jinja2.Environment:
        env = environment(config)
        assert env.loader is not None
        used.append(type(env.loader))
        return env

    monkeypatch.setattr(pages, "_environment", spied)
    return used


def test_a_build_renders_with_the_compiled_modules_the_bytes_of_the_sources(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    used = _loader_used(monkeypatch)
    compiled = write_project(tmp_path / "compiled", ISSUES)
    assert build(compiled)[0] == 0
    assert used == [precompiled._Loader]  # the compiled modules, escaping with fast_escape
    monkeypatch.setattr(precompiled, "loader", lambda: None)
    source = write_project(tmp_path / "source", ISSUES)
    assert build(source)[0] == 0
    assert used == [precompiled._Loader, jinja2.FileSystemLoader]
    files = all_files(compiled / "output")
    assert {"index.html", "archive.html", "issues/2024-31.html", "style.css"} <= set(files)
    assert files == all_files(source / "output")


def test_stale_or_missing_modules_are_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(precompiled.loader(), precompiled._Loader)
    copy = tmp_path / "compiled"
    shutil.copytree(precompiled.COMPILED, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(precompiled, "COMPILED", copy)
    assert isinstance(precompiled.loader(), precompiled._Loader)
    (copy / precompiled.DIGEST).write_text("0" * 64 + "\n")  # other sources or another jinja2
    assert precompiled.loader() is None
    (copy / precompiled.DIGEST).write_bytes(b"\xff\xfe")
    assert precompiled.loader() is None
    (copy / precompiled.DIGEST).unlink()
    assert precompiled.loader() is None
    used = _loader_used(monkeypatch)
    root = write_project(tmp_path / "p", ISSUES)
    assert build(root)[0] == 0
    assert used == [jinja2.FileSystemLoader]
    assert (root / "output" / "issues" / "2024-31.html").is_file()


def test_modules_of_other_templates_are_not_used(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(precompiled.TEMPLATES, templates)
    monkeypatch.setattr(precompiled, "TEMPLATES", templates)
    assert isinstance(precompiled.loader(), precompiled._Loader)
    (templates / "archive.html").write_text((templates / "archive.html").read_text() + " ")
    assert precompiled.loader() is None
    (templates / "archive.html").unlink()
    assert precompiled.loader() is None


def test_a_theme_folder_is_read_from_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    used = _loader_used(monkeypatch)
    root = write_project(tmp_path, ISSUES, CONFIG + 'templates = "theme"\n')
    (root / "theme").mkdir()
    (root / "theme" / "style.css").write_text("body { color: red }\n")
    assert build(root)[0] == 0
    assert used == [jinja2.FileSystemLoader]
    assert (root / "output" / "style.css").read_text() == "body { color: red }\n"


def test_one_loader_serves_every_build_of_a_process(tmp_path: Path) -> None:
    """A jinja2.ModuleLoader, as every build made one, puts a weak proxy in sys.modules
    that only its collection takes out: dying proxies were left there, and a thread
    walking sys.modules as unittest's assertWarns does (getattr on each module) raised
    ReferenceError (seen once in the hostile suite). In-process builds now share one
    loader that puts nothing in sys.modules, and such a walk meanwhile meets no dead
    module."""
    first = precompiled.loader()
    assert first is not None and precompiled.loader() is first
    modules = set(sys.modules)
    errors: list[BaseException] = []
    done = threading.Event()

    def walk() -> None:
        while not done.is_set():
            try:
                for module in list(sys.modules.values()):
                    getattr(module, "__warningregistry__", None)
            except ReferenceError as exc:
                errors.append(exc)

    walker = threading.Thread(target=walk)
    walker.start()
    try:
        for at in range(6):
            project = write_project(tmp_path / str(at), ISSUES)
            assert build(project)[0] == 0
            for _ in range(100):  # environments made and dropped, in cycles, as builds do
                env = pages._environment(Config())
                env.get_template("base.html")
                env.globals["self"] = env
                del env
            gc.collect()
    finally:
        done.set()
        walker.join()
    assert errors == []
    assert precompiled.loader() is first
    assert set(sys.modules) == modules


def test_a_child_forked_while_another_thread_loads_a_template_loads_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds share the loader. Had it imported each template's module (as
    jinja2.ModuleLoader does), under one name in the process, a child forked while
    another thread was importing it (feeds.apart forks one for the pages) would be born
    with the module's import lock held by a thread it does not have, and hang for ever
    on its first page (breaker13: in-process builds on threads hung one run in two).
    The loader imports nothing: a child forked mid-load loads the template."""
    loader = precompiled.loader()
    assert isinstance(loader, precompiled._Loader)
    loader._code.clear()
    main = threading.current_thread()
    loading, finish = threading.Event(), threading.Event()
    read = precompiled.SourceFileLoader.get_code

    def slow(self: precompiled.SourceFileLoader, fullname: str) -> object:
        if threading.current_thread() is not main:  # holds this load, mid-way, in the thread
            loading.set()
            finish.wait(10)
        return read(self, fullname)

    monkeypatch.setattr(precompiled.SourceFileLoader, "get_code", slow)
    other = threading.Thread(
        target=lambda: pages._environment(Config()).get_template("base.html"))
    other.start()
    try:
        assert loading.wait(10)
        child = Child.fork(lambda: pages._environment(Config()).get_template("base.html")
                           .name.encode())
        assert child is not None
        watchdog = threading.Timer(20, child.stop)  # a hung child, killed: no answer
        watchdog.start()
        try:
            assert child.answer() == b"base.html"
        finally:
            watchdog.cancel()
    finally:
        finish.set()
        other.join()
