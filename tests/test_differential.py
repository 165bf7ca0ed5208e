"""Incremental builds against cold builds: a seeded random walk of editor and operator steps.

After every step `python -m feeds build` runs in the project (a subprocess, cwd the
project) and its output folder is compared, path by path and byte by byte, with a
cold build of the same inputs into a fresh folder with a fresh state; its warnings
with the cold build's; then a second build must touch nothing. An invalid issue must
give exit 1 and leave output/ as it was, byte for byte and stat for stat.

What history may legitimately leave in an incremental output folder, and nothing
else, is allowed: files the tool no longer produces (kept, and named in a warning
while the state remembers them), archive pages superseded by newer ones (never
deleted), files put there by someone else, and once a published issue was edited,
the corrections' ``updated`` dates (README, "How a correction reaches readers"):
then feeds are compared entry by entry with the dates left out.

``FEEDS_DIFFER_WALKS`` (default 1) walks of ``FEEDS_DIFFER_STEPS`` (default 6) steps
run from ``FEEDS_DIFFER_SEED`` (default 0) on; a failure prints the seed and the steps,
and ``FEEDS_DIFFER_REPLAY`` (a Python list of steps) runs exactly those.
"""

from __future__ import annotations

import ast
import json
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import ROOT
from corpus import write_corpus

POOL = 26  # issues 40..65 of the corpus: October 2005 to April 2006, across a year
FIRST = 1_700_000_000  # the walk's clock (issue files' mtimes), far behind the real one
SMALL = {"max_items": "10", "section_max_items": "5", "digest_max_items": "3",
         "archive_page_size": "4"}
CONFIGS = {"default": {}, "small": SMALL, "small-unseen": SMALL}  # -unseen: edits no reader sees
TOGGLES = {
    "pages": ("true", "false"),
    "timezone": ('"Asia/Shanghai"', '"UTC"'),
    "base_url": ('"https://example.com/feeds/"', '"https://news.example.org/x/"'),
}
ARCHIVE_PAGE = re.compile(r"(^|/)archive/(atom|rss|feed)-[a-z0-9]{12}\.(xml|json)$")
STALE = re.compile(r"^output/(.+): warning: no longer produced; kept, not deleted$")
HANZI = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地"
FEEDS = ("atom.xml", "rss.xml", "feed.json")


@dataclass
class Build:
    code: int
    err: str


@dataclass
class Walk:
    """One project under incremental builds, and the steps done to it."""

    root: Path
    cold: Path
    variant: str
    pool: dict[str, bytes]
    clock: int = FIRST
    toggles: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TOGGLES, 0))
    strays: dict[str, bytes] = field(default_factory=dict)
    published: set[str] = field(default_factory=set)  # pool names once in a successful build
    tainted: bool = False  # a published issue was edited since the state was last deleted
    forgotten: set[str] = field(default_factory=set)  # outputs present when the state went
    log: list[tuple] = field(default_factory=list)
    tampered: dict[str, bytes] = field(default_factory=dict)  # this step's, as they were

    # ------------------------------------------------------------ the project
    def config(self) -> str:
        lines = [f"{key} = {value}" for key, value in CONFIGS[self.variant].items()]
        lines += [f"{key} = {TOGGLES[key][i]}" for key, i in self.toggles.items()]
        return "\n".join(lines) + "\n"

    def issues(self) -> list[Path]:
        return sorted(p for p in (self.root / "issues").rglob("*.md"))

    def tick(self) -> int:
        self.clock += 1000
        return self.clock

    def write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (self.tick(), self.clock))

    _origin: dict[str, str] = field(default_factory=dict)

    def outputs(self) -> list[str]:
        out = self.root / "output"
        return sorted(str(p.relative_to(out)) for p in out.rglob("*")
                      if p.is_file() and str(p.relative_to(out)) not in self.strays)

    # ------------------------------------------------------------ the steps
    def apply(self, step: tuple) -> None:
        kind, *args = step
        getattr(self, f"do_{kind}")(*args)

    def do_add(self, k: int) -> None:
        names = sorted(self.pool)
        present = {self._origin[p.name] for p in self.issues()}
        missing = [n for n in names if n not in present]
        if not missing:
            return
        name = missing[k % len(missing)]
        if name in self.published:
            self.tainted = True  # its revisions may be remembered from before
        self._origin[name] = name
        self.write(self.root / "issues" / name, self.pool[name])

    def _pick(self, i: int) -> Path | None:
        files = self.issues()
        return files[i % len(files)] if files else None

    def _edited(self, path: Path) -> None:
        if self._origin[path.name] in self.published:
            self.tainted = True

    def unseen(self, path: Path, i: int, same_size: bool) -> bool:
        """In a walk of edits no reader sees: an article's URL host or scheme in upper
        case (published lower-cased: same size), or a blank line more; true if done."""
        if not self.variant.endswith("-unseen"):
            return False
        st = path.stat()
        data = path.read_bytes()
        if same_size:
            spots = [m.start() for m in re.finditer(rb"(?i)https://mp\.weixin", data)]
            at = spots[i % len(spots)]
            data = data[:at] + data[at:at + 11].swapcase() + data[at + 11:]
            path.write_bytes(data)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        else:
            self.write(path, data.replace(b"\n\n", b"\n\n\n", 1 + i % 3))
        return True

    def do_edit(self, i: int) -> None:
        path = self._pick(i)
        if path is None:
            return
        if self.unseen(path, i, same_size=False):
            return
        text = path.read_bytes().decode("utf-8")
        lines = text.split("\n")
        summaries = [n for n, line in enumerate(lines) if line.startswith("**摘要:**")]
        n = summaries[i % len(summaries)]
        lines[n] += f"补充第{self.clock % 97}条。"
        self._edited(path)
        self.write(path, "\n".join(lines).encode("utf-8"))

    def do_byte(self, i: int) -> None:
        """One character of a summary replaced by another of the same size; mtime kept."""
        path = self._pick(i)
        if path is None:
            return
        if self.unseen(path, i, same_size=True):
            return
        data = path.read_bytes()
        st = path.stat()
        text = data.decode("utf-8")
        start = text.index("**摘要:**") + 8
        spots = [m.start() for m in re.finditer(f"[{HANZI}]", text[start:])]
        at = start + spots[i % len(spots)]
        new = HANZI[(HANZI.index(text[at]) + 1) % len(HANZI)]
        text = text[:at] + new + text[at + 1:]
        assert len(text.encode("utf-8")) == len(data)
        self._edited(path)
        path.write_bytes(text.encode("utf-8"))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    def do_replace(self, i: int) -> None:
        """A summary's character changed in a new file renamed over the old one (a new
        inode), its size and mtime those of the old file."""
        path = self._pick(i)
        if path is None:
            return
        if self.unseen(path, i, same_size=True):
            return
        st = path.stat()
        text = path.read_bytes().decode("utf-8")
        at = text.index("**摘要:**") + 9 + i % 20
        if text[at] not in HANZI:
            return
        text = text[:at] + HANZI[(HANZI.index(text[at]) + 3) % len(HANZI)] + text[at + 1:]
        self._edited(path)
        temp = path.with_name(".swap")
        temp.write_bytes(text.encode("utf-8"))
        os.utime(temp, ns=(st.st_atime_ns, st.st_mtime_ns))
        temp.rename(path)

    def do_future(self, k: int) -> None:
        """An issue prepared ahead: dated in 2099, or a few days or hours after the real clock."""
        when = [datetime(2099, 3, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=3),
                datetime.now(UTC) + timedelta(hours=2)][k % 3]
        name = sorted(self.pool)[k % len(self.pool)]
        text = self.pool[name].decode("utf-8").replace("https://mp.weixin.qq.com/s/0000",
                                                        f"https://mp.weixin.qq.com/s/9{k % 3}00")
        text = re.sub(r"^# 云计算技术动态 \d{4} 年第[^期]+期",
                      f"# 云计算技术动态 {when.year} 年第{90 + k % 3}期", text)
        text = f"---\ndate: {when:%Y-%m-%d %H:%M:%S}+00:00\n---\n" + text
        path = self.root / "issues" / f"ahead-{k % 3}.md"
        if path.name in self.published:
            self.tainted = True
        self._origin[path.name] = path.name
        self.write(path, text.encode("utf-8"))

    def do_relink(self, j: int) -> None:
        """A published file replaced by a copy of itself: same bytes and mtime, a new inode."""
        files = self.outputs()
        if not files:
            return
        path = self.root / "output" / files[j % len(files)]
        temp = path.with_name(".copy")
        shutil.copy2(path, temp)
        temp.rename(path)

    def do_delete(self, i: int) -> None:
        path = self._pick(i)
        if path is not None:
            path.unlink()

    def do_rename(self, i: int, how: int) -> None:
        path = self._pick(i)
        if path is None:
            return
        origin = self._origin[path.name]
        if how == 0:  # into (or out of) a sub-folder, same name
            target = (self.root / "issues" / path.name if path.parent.name == "sub"
                      else self.root / "issues" / "sub" / path.name)
        elif re.fullmatch(r"\d{4}-\d\d-\d\d-\d+", path.stem):  # the name's date a day earlier
            y, m, d, number = path.stem.split("-")
            day = int(d) - 1 if int(d) > 1 else 28
            target = path.with_name(f"{y}-{m}-{day:02d}-{number}.md")
            if target.exists():
                return
            if origin in self.published:  # test_redating_an_issue_moves_updated_as_a_cold_build
                self.tainted = True
        else:
            return
        target.parent.mkdir(exist_ok=True)
        path.rename(target)
        self._origin[target.name] = origin

    def do_touch(self, i: int) -> None:
        path = self._pick(i)
        if path is not None:
            os.utime(path, (self.tick(), self.clock))

    def do_now(self, i: int) -> None:
        """An issue file touched at the real clock's time (a racy mtime for the next steps)."""
        path = self._pick(i)
        if path is not None:
            os.utime(path)

    def do_skip(self, k: int) -> None:
        """A file the build must not read as an issue (or warn about, for ``x.MD``)."""
        name = ["x.MD", "_draft.md", "README.md", ".hidden.md", "sub/_old/a.md"][k % 5]
        self._origin[Path(name).name] = Path(name).name
        self.write(self.root / "issues" / name, self.pool[sorted(self.pool)[k % len(self.pool)]])

    def do_break(self, i: int) -> None:
        path = self._pick(i)
        if path is not None and b"ftp://" not in path.read_bytes():
            self.write(path, path.read_bytes().replace(b"https://mp.", b"ftp://mp.", 1))

    def do_fix(self) -> None:
        for path in self.issues():
            if b"ftp://" in path.read_bytes():
                self.write(path, path.read_bytes().replace(b"ftp://mp.", b"https://mp.", 1))

    def do_rm_out(self, j: int) -> None:
        files = self.outputs()
        if files:
            (self.root / "output" / files[j % len(files)]).unlink()

    def do_tamper(self, j: int) -> None:
        """A published file's bytes changed, its size and mtime as they were."""
        files = self.outputs()
        if not files:
            return
        path = self.root / "output" / files[j % len(files)]
        st = path.stat()
        self.tampered[files[j % len(files)]] = path.read_bytes()
        data = bytearray(path.read_bytes())
        at = len(data) // 2
        data[at] = ord("x") if data[at] != ord("x") else ord("y")
        path.write_bytes(bytes(data))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    def do_stray(self, j: int) -> None:
        rel = ["NOTES.txt", ".notes.tmp", "issues/draft.txt", "sections/keep.html"][j % 4]
        data = f"not the tool's {j}\n".encode()
        self.write(self.root / "output" / rel, data)
        self.strays[rel] = data

    def do_rm_state(self) -> None:
        shutil.rmtree(self.root / ".feeds", ignore_errors=True)
        self.tainted = False
        if (self.root / "output").exists():
            self.forgotten |= set(self.outputs())

    def do_config(self, key: str) -> None:
        self.toggles[key] ^= 1
        (self.root / "feeds.toml").write_text(self.config(), encoding="utf-8")

    # ------------------------------------------------------------ builds and checks
    def build(self, where: Path) -> Build:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-m", "feeds", "build"], cwd=where,
                              env=env, capture_output=True, text=True, timeout=300)
        return Build(done.returncode, done.stderr)

    def cold_build(self) -> tuple[Build, dict[str, bytes]]:
        shutil.rmtree(self.cold, ignore_errors=True)
        self.cold.mkdir(parents=True)
        shutil.copytree(self.root / "issues", self.cold / "issues")  # mtimes kept
        shutil.copy2(self.root / "feeds.toml", self.cold / "feeds.toml")
        return self.build(self.cold), tree(self.cold / "output")

    def step(self, step: tuple) -> None:
        self.log.append(step)
        self.tampered = {}
        self.apply(step)
        before = snapshot(self.root / "output")
        got = self.build(self.root)
        cold, expected = self.cold_build()
        where = f"after steps {self.log}"
        assert got.code in (0, 1), f"{where}: exit {got.code}\n{got.err}"
        assert got.code == cold.code, f"{where}: exit {got.code}, cold {cold.code}\n{got.err}"
        if got.code == 1:  # the warnings beside errors: test_warnings_beside_an_error_*
            assert errors(got.err) == errors(cold.err), (
                f"{where}: errors differ\n{got.err}\n---cold\n{cold.err}")
            assert snapshot(self.root / "output") == before, f"{where}: exit 1 changed output/"
        else:
            self.compare(where, before, got, cold, expected)
            self.published |= {self._origin[p.name] for p in self.issues()}
        again_before = snapshot(self.root / "output")
        again = self.build(self.root)
        assert again.code == got.code, f"{where}: second build exit {again.code}\n{again.err}"
        assert again.err == got.err, f"{where}: second build's warnings\n{again.err}\n---first\n{got.err}"
        after = snapshot(self.root / "output")
        changed = sorted(p for p in set(after) | set(again_before)
                         if after.get(p) != again_before.get(p))
        assert not changed, f"{where}: the second build changed {changed[:5]}"

    def compare(self, where: str, before: dict, got: Build, cold: Build,
                expected: dict[str, bytes]) -> None:
        actual = tree(self.root / "output")
        stale = [m.group(1) for line in got.err.splitlines() if (m := STALE.match(line))]
        warnings = [line for line in got.err.splitlines() if not STALE.match(line)]
        assert warnings == cold.err.splitlines(), (
            f"{where}: warnings differ\n{got.err}\n---cold\n{cold.err}")
        for rel in stale:
            assert rel in actual and rel not in expected, f"{where}: stale warning for {rel}"
        for rel in sorted(expected):
            if ARCHIVE_PAGE.search(rel) and self.tainted:
                continue  # a corrected entry renames its page and every newer one
            assert rel in actual, f"{where}: {rel} missing (cold build has it)"
            if self.tainted and rel.endswith(FEEDS):
                assert_same_entries(where, rel, actual[rel], expected[rel])
            elif self.tainted and rel == "feeds.opml":  # its date is the newest `updated`
                assert _OPML_DATE.sub(b"", actual[rel]) == _OPML_DATE.sub(b"", expected[rel]), (
                    f"{where}: {rel} differs from the cold build's but for its date")
            else:
                assert actual[rel] == expected[rel], (
                    f"{where}: {rel} differs from the cold build's\n"
                    + first_difference(actual[rel], expected[rel]))
        for rel in sorted(set(actual) - set(expected)):
            if rel in self.strays:
                assert actual[rel] == self.strays[rel], f"{where}: stray {rel} changed"
            elif ARCHIVE_PAGE.search(rel) and (rel in before or self.tainted):
                assert rel not in before or actual[rel] in (before[rel][0], self.tampered.get(rel)), (
                    f"{where}: old archive page {rel} changed")
            else:
                assert rel in before and actual[rel] in (before[rel][0], self.tampered.get(rel)), (
                    f"{where}: {rel} is not in the cold build and was not there before")
                assert rel in stale or rel in self.forgotten, (
                    f"{where}: {rel} kept without a warning")


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": warning: " not in line]


def tree(out: Path) -> dict[str, bytes]:
    if not out.exists():
        return {}
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def snapshot(out: Path) -> dict[str, tuple]:
    """Every file's bytes, inode, mtime and ctime."""
    if not out.exists():
        return {}
    shot = {}
    for p in out.rglob("*"):
        if p.is_file():
            st = p.stat()
            shot[str(p.relative_to(out))] = (p.read_bytes(), st.st_ino, st.st_mtime_ns,
                                             st.st_ctime_ns)
    return shot


def first_difference(a: bytes, b: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return (f"at byte {at} (sizes {len(a)}, {len(b)}):\n  got  {a[max(0, at - 80):at + 80]!r}\n"
            f"  cold {b[max(0, at - 80):at + 80]!r}")


_DATES = re.compile(rb"<updated>[^<]*</updated>|<lastBuildDate>[^<]*</lastBuildDate>|"
                    rb'<(atom:)?link href="[^"]*" rel="prev-archive"/>')


_OPML_DATE = re.compile(rb"<dateModified>[^<]*</dateModified>")


def entries_of(rel: str, data: bytes) -> tuple[object, list[object]]:
    """A feed's head and entries with the dates a correction moves left out."""
    if rel.endswith(".json"):
        feed = json.loads(data)
        items = feed.pop("items")
        feed.pop("next_url", None)
        for item in items:
            item.pop("date_modified", None)
        return feed, [json.dumps(i, sort_keys=True) for i in items]
    tag = rb"<entry>" if rel.endswith("atom.xml") else rb"<item>"
    head, *items = _DATES.sub(b"", data).split(tag)
    return head, items


def assert_same_entries(where: str, rel: str, got: bytes, cold: bytes) -> None:
    """Every entry of the cold feed is in the incremental one (corrected entries may be
    republished besides), and their heads are the same but for dates."""
    got_head, got_items = entries_of(rel, got)
    cold_head, cold_items = entries_of(rel, cold)
    assert got_head == cold_head, f"{where}: {rel} head differs (dates left out)"
    missing = [i for i in cold_items if i not in got_items]
    assert not missing, f"{where}: {rel} lacks {len(missing)} entries of the cold build: {missing[0]!r:.300}"


# ---------------------------------------------------------------- the walk

_POOL: list[dict[str, bytes]] = []


def pool(tmp: Path) -> dict[str, bytes]:
    if not _POOL:
        write_corpus(POOL, tmp / "pool", start=40)
        _POOL.append({p.name: p.read_bytes() for p in sorted((tmp / "pool").iterdir())})
    return _POOL[0]


def random_steps(rng: random.Random, count: int) -> list[tuple]:
    steps: list[tuple] = []
    kinds = (["add"] * 4 + ["edit"] * 3 + ["byte"] * 2 + ["delete"] * 2 + ["rename"] * 2
             + ["touch", "break", "fix", "rm_out", "tamper", "stray", "rm_state", "replace",
                "future", "relink", "now", "skip"]
             + ["config"] * 2)
    for _ in range(count):
        kind = rng.choice(kinds)
        n = rng.randrange(1000)
        if kind in ("fix", "rm_state"):
            steps.append((kind,))
        elif kind == "rename":
            steps.append((kind, n, rng.randrange(2)))
        elif kind == "config":
            steps.append((kind, rng.choice(sorted(TOGGLES))))
        else:
            steps.append((kind, n))
    return steps


def start(tmp: Path, variant: str, seed: int) -> Walk:
    issues = pool(tmp)
    rng = random.Random(f"start:{seed}")
    names = sorted(issues)
    first = sorted(rng.sample(names[:20], rng.randint(10, 16)))  # gaps to add into, and 20..25
    walk = Walk(root=tmp / f"project-{variant}-{seed}", cold=tmp / "cold", variant=variant,
                pool=issues)
    (walk.root / "issues").mkdir(parents=True)
    (walk.root / "feeds.toml").write_text(walk.config(), encoding="utf-8")
    for name in first:
        walk._origin[name] = name
        walk.write(walk.root / "issues" / name, issues[name])
    return walk


def run_walk(tmp: Path, variant: str, seed: int, steps: list[tuple]) -> None:
    walk = start(tmp, variant, seed)
    try:
        walk.step(("touch", 0))  # the first build: cold against cold
        for step in steps:
            walk.step(step)
    finally:
        shutil.rmtree(walk.root, ignore_errors=True)


WALKS = int(os.environ.get("FEEDS_DIFFER_WALKS", "1"))
STEPS = int(os.environ.get("FEEDS_DIFFER_STEPS", "6"))
SEED = int(os.environ.get("FEEDS_DIFFER_SEED", "0"))
REPLAY = os.environ.get("FEEDS_DIFFER_REPLAY", "")


@pytest.mark.parametrize("variant", sorted(CONFIGS))
@pytest.mark.parametrize("walk", range(WALKS))
def test_incremental_builds_equal_cold_builds(tmp_path: Path, variant: str, walk: int) -> None:
    seed = SEED + walk
    steps = (ast.literal_eval(REPLAY) if REPLAY
             else random_steps(random.Random(f"{variant}:{seed}"), STEPS))
    run_walk(tmp_path, variant, seed, steps)


def test_warnings_beside_an_error_equal_a_cold_builds(tmp_path: Path) -> None:
    walk = start(tmp_path, "default", 0)
    walk.step(("touch", 0))
    walk.step(("break", 736))  # issues/2005-10-31-44.md, between No. 41 and No. 45
    got = walk.build(walk.root)
    cold, _ = walk.cold_build()
    assert got.code == cold.code == 1
    assert got.err == cold.err


def test_an_issue_that_fails_now_clashes_with_nothing(project: Path) -> None:
    """Its row of the last good parse is left out of the cross-file checks, as a cold
    build leaves it out: giving its number to another issue is no clash."""
    from conftest import run_main

    head = "# 云计算技术动态 2024 年第{}期\n\n## 分布式系统\n\n**1.** **T**\n\n{}\n\n**摘要:** s\n"
    (project / "issues" / "2024-11-01-29.md").write_text(
        head.format("二十九", "https://example.com/1"), encoding="utf-8")
    (project / "issues" / "2024-11-08-30.md").write_text(
        head.format("三十", "https://example.com/2"), encoding="utf-8")
    assert run_main("build", "--quiet")[0] == 0
    (project / "issues" / "2024-11-01-29.md").write_text(
        head.format("二十九", "ftp://example.com/1"), encoding="utf-8")
    (project / "issues" / "2024-11-08-30.md").write_text(
        head.format("二十九", "https://example.com/2"), encoding="utf-8")
    code, _, err = run_main("build", "--quiet")
    shutil.rmtree(project / ".feeds")
    assert (code, err) == run_main("build", "--quiet")[::2] == (1, (
        "issues/2024-11-01-29.md:7: error: article 1 in section 分布式系统: URL "
        "'ftp://example.com/1' is not allowed; only http:// and https:// links can be "
        "published\nfeeds: 1 error; nothing was written\n"))


def test_redating_an_issue_earlier_keeps_updated_where_it_was(tmp_path: Path) -> None:
    """The README's rule ("`updated` never moves back"): an issue re-dated a day earlier
    by its file name moves its entries' `published` back and keeps their `updated`; a
    cold build, with no record of the later date, has `updated` = `published`."""
    import feedparser

    walk = start(tmp_path, "small-unseen", 201)
    walk.step(("touch", 0))
    walk.tainted = False
    walk.apply(("rename", 151, 1))  # issues/2006-01-09-2.md to 2006-01-08-2.md
    assert walk.build(walk.root).code == 0
    _, cold = walk.cold_build()

    def dates(files: dict[str, bytes]) -> set[tuple[str, str]]:
        """(published, updated) days of the re-dated issue's entries now dated the 8th,
        in every Atom document."""
        return {(e.published[:10], e.updated[:10]) for name, data in files.items()
                if name.endswith(".xml") and "atom" in name
                for e in feedparser.parse(data).entries
                if "issue-2006-2/" in e.id and e.published.startswith("2006-01-08")}

    assert dates(tree(walk.root / "output")) == {("2006-01-08", "2006-01-09")}
    assert dates(cold) == {("2006-01-08", "2006-01-08")}
