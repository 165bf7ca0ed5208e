"""A longer editor's walk than test_differential's, with the edits it leaves out, and a
subscriber reading every successive output.

test_differential's walk edits only summaries; this one (reusing its ``Walk``: every
step's build is compared byte for byte with a cold build of the same inputs, and a
second build must write nothing) also edits titles and URLs, inserts, removes and
moves articles, renumbers an issue, introduces and fixes typos the parser warns or
errs about, and changes the feeds' limits, archive page size, formats, digest and a
section's slug. After every successful build, a ``reader`` (lemon24/reader) database
subscribed to the combined feeds and the digest in every format updates as a
subscriber's would, and must never hold two entries for one article: an article keeps
its id for as long as its issue's year and number and its URL stay (README, "Entry
ids and dates").

``FEEDS_B10_WALKS`` walks of ``FEEDS_B10_STEPS`` steps from ``FEEDS_B10_SEED`` on;
``FEEDS_B10_REPLAY`` (a Python list of steps) runs exactly those.
"""

from __future__ import annotations

import ast
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from conftest import ROOT
from reader import Reader, make_reader
from test_differential import TOGGLES, Build, Walk, pool

LIMITS = {
    "max_items": ("10", "0", "25"),
    "section_max_items": ("5", "0", "3"),
    "digest_max_items": ("3", "0", "7"),
    "archive_page_size": ("4", "0", "2", "9"),
    "formats": ('["atom", "rss", "json"]', '["atom"]', '["json", "rss"]'),
    "digest": ("true", "false"),
}
SUBSCRIBED = ("atom.xml", "rss.xml", "feed.json",
              "digest/atom.xml", "digest/rss.xml", "digest/feed.json")
URL = re.compile(r"^https://mp\.weixin\.qq\.com/s/\S+$", re.M)
TITLE = re.compile(r"^\*\*(\d+)\.\*\* \*\*(.+)\*\*$", re.M)
ENTRY = re.compile(r"<entry>\s*<id>([^<]+)</id>.*?<updated>([^<]+)</updated>.*?"
                   r"<published>([^<]+)</published>", re.S)
HEADING = re.compile(r"^# 云计算技术动态 (\d{4}) 年第([^期]+)期$", re.M)


@dataclass
class EditorWalk(Walk):
    """test_differential's walk with the editor's other edits and the operator's limits."""

    limits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LIMITS, 0))
    slug: int = 0
    counter: int = 0
    reader: Reader | None = None
    subscribed: set[str] = field(default_factory=set)
    renewed: set[str] = field(default_factory=set)  # links whose id may change legitimately
    updated: dict[str, datetime] = field(default_factory=dict)
    code: int = 0  # the last build's in the project

    def config(self) -> str:
        lines = [f"{key} = {LIMITS[key][i]}" for key, i in self.limits.items()]
        lines += [f"{key} = {TOGGLES[key][i]}" for key, i in self.toggles.items()]
        if self.slug:
            lines += ["[sections]", f'"数据库" = "db-{self.slug}"']
        return "\n".join(lines) + "\n"

    def _text(self, i: int) -> tuple[Path, str] | None:
        path = self._pick(i)
        if path is None:
            return None
        return path, path.read_bytes().decode("utf-8")

    def _save(self, path: Path, text: str) -> None:
        self._edited(path)
        self.write(path, text.encode("utf-8"))

    def do_title(self, i: int) -> None:
        got = self._text(i)
        if got is None:
            return
        path, text = got
        spots = list(TITLE.finditer(text))
        m = spots[i % len(spots)]
        self.counter += 1
        text = text[:m.end(2)] + f"（修订{self.counter}）" + text[m.end(2):]
        self._save(path, text)

    def do_url(self, i: int) -> None:
        """An article's URL fixed: a new entry (README: the old one stays in readers)."""
        got = self._text(i)
        if got is None:
            return
        path, text = got
        spots = list(URL.finditer(text))
        m = spots[i % len(spots)]
        self.counter += 1
        self.renewed.add(m.group(0))
        text = text[:m.end()] + f"x{self.counter}" + text[m.end():]
        self._save(path, text)

    def do_utm(self, i: int) -> None:
        """A tracking parameter added to a URL: the canonical form, hence the id, stays."""
        got = self._text(i)
        if got is None:
            return
        path, text = got
        spots = [m for m in URL.finditer(text) if "?" not in m.group(0)]
        if not spots:
            return
        m = spots[i % len(spots)]
        text = text[:m.end()] + "?utm_source=feed" + text[m.end():]
        self._save(path, text)

    def _articles(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every article block."""
        starts = [m.start() for m in TITLE.finditer(text)]
        bounds = []
        for n, s in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(text)
            heading = text.find("\n## ", s, end)
            bounds.append((s, heading + 1 if heading != -1 else end))
        return bounds

    def do_insert(self, i: int) -> None:
        """A new article as the first of a section: the others keep their ids."""
        got = self._text(i)
        if got is None:
            return
        path, text = got
        self.counter += 1
        heads = [m.end() for m in re.finditer(r"^## .+$", text, re.M)]
        at = heads[i % len(heads)]
        block = (f"\n\n**1.** **新增文章{self.counter}**\n\n"
                 f"https://example.com/new/{self.counter}\n\n**摘要:** 新增的摘要{self.counter}。")
        self._save(path, text[:at] + block + text[at:])

    def do_remove(self, i: int) -> None:
        got = self._text(i)
        if got is None:
            return
        path, text = got
        bounds = self._articles(text)
        if len(bounds) < 2:
            return
        s, e = bounds[i % len(bounds)]
        self._save(path, text[:s] + text[e:])

    def do_move(self, i: int) -> None:
        """An article moved to the end of the issue (into its last section)."""
        got = self._text(i)
        if got is None:
            return
        path, text = got
        bounds = self._articles(text)
        if len(bounds) < 2:
            return
        s, e = bounds[i % len(bounds)]
        block = text[s:e].rstrip("\n")
        rest = (text[:s] + text[e:]).rstrip("\n")
        self._save(path, rest + "\n\n" + block + "\n")

    def do_renumber(self, i: int) -> None:
        """An issue's heading given a number far from the others (all its ids change)."""
        got = self._text(i)
        if got is None:
            return
        path, text = got
        m = HEADING.search(text)
        assert m is not None
        self.counter += 1
        self.renewed |= set(URL.findall(text)) | {"*"}
        self._save(path, text[:m.start(2)] + str(500 + self.counter) + text[m.end(2):])

    def do_redate(self, i: int, k: int) -> None:
        """Front matter ``date`` set (or changed): another issue's date, the same day
        with a time and an offset, or a day later; entries interleave or move."""
        got = self._text(i)
        if got is None:
            return
        path, text = got
        others = sorted(p for p in self.issues() if p != path)
        body = re.sub(r"\A---\ndate: [^\n]*\n---\n", "", text)
        year = HEADING.search(body)
        if year is None:  # a typo (CRLF, BOM) in the way: another step's business
            return
        day = re.match(r"(\d{4}-\d\d-\d\d)", others[k % len(others)].name) if others else None
        when = [f"{day.group(1) if day else year.group(1) + '-06-01'}",
                f"{year.group(1)}-06-01 23:30:00+00:00",
                f"{year.group(1)}-06-02 07:30:00"][k % 3]
        if not when.startswith(year.group(1)):
            when = year.group(1) + when[4:]
        self._save(path, f"---\ndate: {when}\n---\n" + body)

    def do_section(self, i: int) -> None:
        """A section heading renamed: its articles keep their ids, its old feed is stale."""
        got = self._text(i)
        if got is None:
            return
        path, text = got
        heads = list(re.finditer(r"^## (.+)$", text, re.M))
        m = heads[i % len(heads)]
        name = m.group(1)
        new = name[:-1] if name.endswith("新") else name + "新"
        self._save(path, text[:m.start(1)] + new + text[m.end(1):])

    def do_dupurl(self, i: int) -> None:
        """An article given the URL of the one before it in the issue (a paste): a warning,
        and its id takes ``-2``."""
        got = self._text(i)
        if got is None:
            return
        path, text = got
        urls = list(URL.finditer(text))
        if len(urls) < 2:
            return
        n = 1 + i % (len(urls) - 1)
        self.renewed |= {urls[n - 1].group(0), urls[n].group(0)}
        self._save(path, text[:urls[n].start()] + urls[n - 1].group(0) + text[urls[n].end():])

    def do_typo(self, i: int) -> None:
        """A typo the editor then leaves for a build (warnings or an error), fixed by
        ``fix_typo``: a section heading without its space, a full-width colon, a title
        with a Chinese separator, a BOM and CRLF, a tab before the URL."""
        got = self._text(i)
        if got is None:
            return
        path, text = got
        kind = i % 5
        if kind == 0:
            text = text.replace("\n## ", "\n##", 1)
        elif kind == 1:
            text = text.replace("**摘要:**", "**摘要：**", 1)
        elif kind == 2:
            text = re.sub(r"^\*\*(\d+)\.\*\*", r"**\1。**", text, count=1, flags=re.M)
        elif kind == 3:
            text = "\ufeff" + text.replace("\n", "\r\n")
        else:
            text = text.replace("\nhttps://", "\n\thttps://", 1)
        self._save(path, text)

    def do_fix_typo(self) -> None:
        for path in self.issues():
            text = path.read_bytes().decode("utf-8")
            fixed = text.removeprefix("\ufeff").replace("\r\n", "\n")
            fixed = re.sub(r"^##(?=\S)", "## ", fixed, flags=re.M)
            fixed = re.sub(r"^\*\*(\d+)。\*\*", r"**\1.**", fixed, flags=re.M)
            fixed = fixed.replace("\n\thttps://", "\nhttps://")
            if fixed != text:
                self._save(path, fixed)

    def do_preview(self) -> None:
        """A preview built from the same state into another folder (as ``feeds serve``
        does): README says its records are its own, so output/ must not notice."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-m", "feeds", "build", "-q", "--output",
                               "preview", "--base-url", "http://127.0.0.1:8000/"],
                              cwd=self.root, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 1), f"preview build: exit {done.returncode}\n{done.stderr}"

    def do_limit(self, key: str) -> None:
        self.limits[key] = (self.limits[key] + 1) % len(LIMITS[key])
        (self.root / "feeds.toml").write_text(self.config(), encoding="utf-8")

    def do_slug(self) -> None:
        self.slug += 1
        (self.root / "feeds.toml").write_text(self.config(), encoding="utf-8")

    # ------------------------------------------------------------ the subscriber
    def subscribe(self, where: str) -> None:
        """Update the reader from every subscribed feed that exists; no article twice."""
        out = self.root / "output"
        if self.reader is None:
            self.reader = make_reader(":memory:", feed_root=str(out))
        for rel in SUBSCRIBED:
            if (out / rel).exists() and rel not in self.subscribed:
                self.reader.add_feed(rel)
                self.subscribed.add(rel)
        for result in self.reader.update_feeds_iter():
            assert not isinstance(result.value, Exception), f"{where}: {result}"
        for rel in sorted(self.subscribed):
            by_link: dict[str, list[str]] = {}
            for entry in self.reader.get_entries(feed=rel):
                by_link.setdefault(entry.link or "", []).append(entry.id)
            for link, ids in by_link.items():
                if len(ids) > 1 and not self.renewed & {link, "*"}:
                    raise AssertionError(f"{where}: {rel} holds {link} as {len(ids)} "
                                         f"entries in the reader: {ids}")

    def build(self, where: Path) -> Build:
        done = super().build(where)
        if where == self.root:
            self.code = done.code
        return done

    def check_updated(self, where: str) -> None:
        """README: ``updated`` is never before ``published`` and never moves back while
        the state is kept, in any subscription feed."""
        if self.code != 0:
            return  # output/ as it was
        out = self.root / "output"
        for path in sorted(out.glob("**/atom.xml")):
            if not (self.cold / "output" / path.relative_to(out)).exists():
                continue  # a feed no longer produced, kept as it was
            for m in ENTRY.finditer(path.read_text(encoding="utf-8")):
                eid, updated, published = m.group(1), m.group(2), m.group(3)
                assert stamp(updated) >= stamp(published), f"{where}: {path}: {eid} {m.group(0)}"
                last = self.updated.get(eid)
                assert last is None or stamp(updated) >= last, (
                    f"{where}: {path.relative_to(out)}: {eid} updated moved back from "
                    f"{last} to {updated}")
                self.updated[eid] = max(stamp(updated), last or stamp(updated))

    def do_rm_state(self) -> None:
        super().do_rm_state()
        self.updated.clear()

    def step(self, step: tuple) -> None:
        super().step(step)
        if (self.root / "output" / "atom.xml").exists():
            where = f"after steps {self.log}"
            self.check_updated(where)
            self.subscribe(where)


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def random_steps(rng: random.Random, count: int) -> list[tuple]:
    kinds = (["add"] * 3 + ["edit", "title", "title", "url", "utm", "insert", "insert",
                            "remove", "move", "renumber", "typo", "typo", "fix_typo",
                            "delete", "rename", "touch", "byte", "limit", "limit",
                            "limit", "slug", "config", "rm_state", "preview", "preview",
                            "future", "now", "redate", "redate", "section", "dupurl"])
    steps: list[tuple] = []
    for _ in range(count):
        kind = rng.choice(kinds)
        n = rng.randrange(1000)
        if kind in ("fix_typo", "rm_state", "slug", "preview"):
            steps.append((kind,))
        elif kind in ("rename", "redate"):
            steps.append((kind, n, rng.randrange(1000) if kind == "redate" else rng.randrange(2)))
        elif kind == "limit":
            steps.append((kind, rng.choice(sorted(LIMITS))))
        elif kind == "config":
            steps.append((kind, rng.choice(sorted(TOGGLES))))
        else:
            steps.append((kind, n))
    return steps


def run(tmp: Path, seed: int, steps: list[tuple]) -> None:
    issues = pool(tmp)
    rng = random.Random(f"b10-start:{seed}")
    names = sorted(issues)
    walk = EditorWalk(root=tmp / f"project-{seed}", cold=tmp / "cold", variant="default",
                      pool=issues)
    (walk.root / "issues").mkdir(parents=True)
    (walk.root / "feeds.toml").write_text(walk.config(), encoding="utf-8")
    for name in sorted(rng.sample(names[:20], rng.randint(6, 12))):
        walk._origin[name] = name
        walk.write(walk.root / "issues" / name, issues[name])
    try:
        walk.step(("touch", 0))
        for step in steps:
            walk.step(step)
    finally:
        if walk.reader is not None:
            walk.reader.close()
        shutil.rmtree(walk.root, ignore_errors=True)


WALKS = int(os.environ.get("FEEDS_B10_WALKS", "1"))
STEPS = int(os.environ.get("FEEDS_B10_STEPS", "8"))
SEED = int(os.environ.get("FEEDS_B10_SEED", "0"))
REPLAY = os.environ.get("FEEDS_B10_REPLAY", "")


@pytest.mark.parametrize("walk", range(WALKS))
def test_editor_walk_equals_cold_builds_and_a_reader_sees_each_article_once(
        tmp_path: Path, walk: int) -> None:
    seed = SEED + walk
    steps = (ast.literal_eval(REPLAY) if REPLAY
             else random_steps(random.Random(f"b10:{seed}"), STEPS))
    run(tmp_path, seed, steps)
