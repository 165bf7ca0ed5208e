"""Benchmark: feeds against Pelican and Hugo on the same corpus, on this machine, in one run.

    python bench/run.py [--n 100 1000 5000] [--runs 3] [--peers-n 1000] [--no-peers]
                        [--peers hugo pelican] [--only-archives | --only-regen]

Prints wall seconds (median of --runs) and peak memory (the largest max RSS of
the process and its children) for each scenario, checks that every tool made
its feeds with the right number of items, and prints the ratios feeds/hugo and
feeds/pelican from the same run. Pelican (pip) and Hugo (apt) are installed by
the benchmark itself, into bench/work/, never by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from corpus import write_corpus  # noqa: E402
from peers import count_items, setup, to_hugo, to_pelican  # noqa: E402

WORK = HERE / "work"
PAIRED: dict[int, list[float]] = {}  # N -> feeds/hugo of each pair of alternating cold builds
PAGES: dict[tuple[int, bool], list[float]] = {}  # (N, limits) -> with/without pages, each pair
FORMAT_PAIRS: dict[int, list[float]] = {}  # N -> three formats + digest / Atom and RSS only
ARCHIVES: dict[int, tuple[list[float], list[float]]] = {}  # N -> cold archives / no limit,
# one new issue with archives - without, each pair in turn
FEEDS = [sys.executable, "-m", "feeds", "build", "--quiet"]
REGEN = "feeds rebuild after a config change"  # pages off, then on: the state warm
REGEN_PAIRS: dict[int, tuple[list[float], list[float]]] = {}  # N -> its time and memory / a
# cold build's, each pair in turn
_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - start
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


@dataclass
class Row:
    scenario: str
    n: int
    seconds: float
    rss_mb: float
    check: str


def measure(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command, measured from a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(cwd), *cmd], capture_output=True,
                          text=True, env=env, check=True)
    wall, rss, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"benchmark command failed ({code}): {' '.join(cmd)} in {cwd}")
    return float(wall), int(rss) / 1024


def compile_package() -> None:
    """Compile the package's bytecode, as ``pip install`` does for an installed tool:
    with PYTHONDONTWRITEBYTECODE set (as on some machines) and an editable install,
    every timed run would otherwise compile feeds/ from source again."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "feeds")],
                   env=env, check=True)


def repeat(runs: int, before: Callable[[], None], cmd: list[str], cwd: Path) -> tuple[float, float]:
    walls, peaks = [], []
    for _ in range(runs):
        before()
        wall, rss = measure(cmd, cwd)
        walls.append(wall)
        peaks.append(rss)
    return statistics.median(walls), max(peaks)


def project(n: int, limits: bool, two_formats: bool = False, archives: bool = True) -> Path:
    """A project folder with the corpus of n issues and a config: every format and the
    digest, or (``two_formats``) Atom and RSS only, as before JSON Feed and the digest."""
    root = WORK / (f"n{n}-{'limits' if limits else 'all'}{'-two' if two_formats else ''}"
                   f"{'' if archives else '-no-archives'}")
    corpus = WORK / f"corpus-{n}"
    if not (corpus / ".done").exists():
        shutil.rmtree(corpus, ignore_errors=True)
        write_corpus(n, corpus)
        (corpus / ".done").write_text("ok")
    if not root.exists():
        root.mkdir(parents=True)
        shutil.copytree(corpus, root / "issues", ignore=shutil.ignore_patterns(".done"))
    for stray in {p.name for p in (root / "issues").glob("*.md")} - \
            {p.name for p in corpus.glob("*.md")}:
        (root / "issues" / stray).unlink()  # left by an interrupted run
    for source in corpus.glob("*.md"):  # and put back what a run or a person took away
        copy = root / "issues" / source.name
        if not copy.exists() or copy.read_bytes() != source.read_bytes():
            shutil.copy2(source, copy)
    config = 'base_url = "https://feeds.example.com/"\ntag_authority = "feeds.example.com"\n'
    if not limits:
        config += "max_items = 0\nsection_max_items = 0\ndigest_max_items = 0\n"
    if two_formats:
        config += 'formats = ["atom", "rss"]\ndigest = false\n'
    if not archives:
        config += "archive_page_size = 0\n"
    (root / "feeds.toml").write_text(config, encoding="utf-8")
    return root


def articles_in(root: Path) -> int:
    return sum(p.read_text(encoding="utf-8").count("**摘要:**") for p in (root / "issues").glob("*.md"))


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def check_feeds(root: Path, articles: int, limits: bool) -> str:
    counts = {k: v for k, v in count_items(root / "output").items() if k != "sitemap.xml"}
    combined = (counts["atom.xml"], counts["rss.xml"])
    sections = {k: v for k, v in counts.items() if k.startswith("sections/")}
    atom = sum(v for k, v in sections.items() if k.endswith("atom.xml"))
    rss = sum(v for k, v in sections.items() if k.endswith("rss.xml"))
    if limits:  # archived feeds hold their limit and fewer than two pages (200) more
        ok = combined[0] == combined[1] and min(100, articles) <= combined[0] < 300 \
            and all(v < 250 for v in sections.values())
    else:
        ok = combined == (articles, articles) and atom == rss == articles
    if not ok:
        raise SystemExit(f"feeds made the wrong number of items: {combined}, {atom}, {rss}")
    return f"{len(counts)} feeds, {combined[0]}+{atom} items"


def bench_feeds(n: int, runs: int, rows: list[Row]) -> None:
    for limits in (False, True):
        root = project(n, limits)
        articles = articles_in(root)

        def cold(root: Path = root) -> None:
            shutil.rmtree(root / "output", ignore_errors=True)
            shutil.rmtree(root / ".feeds", ignore_errors=True)  # the build's state

        label = "feeds cold, default limits" if limits else "feeds cold, no limit"
        (root / "feeds-no-pages.toml").write_text(
            (root / "feeds.toml").read_text(encoding="utf-8") + "pages = false\n", encoding="utf-8")
        without, with_pages = [], []
        for _ in range(runs):  # in turn, so that a drift in the machine's speed falls on both
            cold()
            without.append(measure([*FEEDS, "--config", "feeds-no-pages.toml"], root))
            cold()
            with_pages.append(measure(FEEDS, root))
        pages = sum(1 for _ in (root / "output").rglob("*.html"))
        rows.append(Row(label + ", no pages", n, statistics.median(w for w, _ in without),
                        max(r for _, r in without), check_feeds(root, articles, limits)))
        rows.append(Row(label, n, statistics.median(w for w, _ in with_pages),
                        max(r for _, r in with_pages),
                        f"{check_feeds(root, articles, limits)}, {pages} pages"))
        PAGES[(n, limits)] = [w / wo for (w, _), (wo, _) in zip(with_pages, without, strict=True)]
        if not limits:
            continue
        before = snapshot(root / "output")
        wall, rss = repeat(runs, lambda: None, FEEDS, root)
        written = [p for p, t in snapshot(root / "output").items() if before.get(p) != t]
        if written:
            raise SystemExit(f"a no-op rebuild wrote {written}")
        rows.append(Row("feeds no-op rebuild", n, wall, rss, "0 files written"))
        extra = write_corpus(1, WORK / "extra", start=n)[0]

        def remove_new(root: Path = root, extra: Path = extra) -> None:
            (root / "issues" / extra.name).unlink(missing_ok=True)
            subprocess.run(FEEDS, cwd=root, check=True, env={**os.environ, "PYTHONPATH": str(HERE.parent)})
            # text never seen before, so the store holds no parse of it: a new issue is parsed
            text = extra.read_text(encoding="utf-8").rstrip("\n")
            (root / "issues" / extra.name).write_text(f"{text} {time.time_ns()}\n", encoding="utf-8")

        wall, rss = repeat(runs, remove_new, FEEDS, root)
        rows.append(Row("feeds one new issue, default limits", n, wall, rss,
                        check_feeds(root, articles_in(root), True)))
        (root / "issues" / extra.name).unlink()  # the next run starts from the corpus again


def bench_regen(n: int, runs: int, rows: list[Row]) -> None:
    """A rebuild after a change of configuration, the state warm: a build with pages
    off, then the one timed, with pages on; against a cold build, taken in turn."""
    root = project(n, True)
    articles = articles_in(root)
    (root / "feeds-no-pages.toml").write_text(
        (root / "feeds.toml").read_text(encoding="utf-8") + "pages = false\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    cold, regen = [], []
    for _ in range(runs):
        shutil.rmtree(root / "output", ignore_errors=True)
        shutil.rmtree(root / ".feeds", ignore_errors=True)
        cold.append(measure(FEEDS, root))
        subprocess.run([*FEEDS, "--config", "feeds-no-pages.toml"], cwd=root, check=True, env=env)
        regen.append(measure(FEEDS, root))
    rows.append(Row(REGEN, n, statistics.median(w for w, _ in regen), max(r for _, r in regen),
                    check_feeds(root, articles, True)))
    REGEN_PAIRS[n] = ([w / c for (w, _), (c, _) in zip(regen, cold, strict=True)],
                      [r / c for (_, r), (_, c) in zip(regen, cold, strict=True)])


def _peer(name: str, n: int, runs: int, rows: list[Row], convert: Callable[[Path, Path], int],
          cmd: list[str], out: str, expected: Callable[[dict[str, int]], bool]) -> None:
    """Convert the corpus for a peer, then time its builds and check its feeds."""
    root = project(n, False)
    site = WORK / f"{name}-{n}"
    start = time.perf_counter()
    convert(root / "issues", site)
    rows.append(Row(f"{name}: convert corpus", n, time.perf_counter() - start, 0, ""))
    output = site / out
    wall, rss = repeat(runs, lambda: shutil.rmtree(output, ignore_errors=True), cmd, site)
    counts = count_items(output)
    if not expected(counts):
        raise SystemExit(f"{name} made the wrong number of items: {counts}")
    rows.append(Row(f"{name} build, no limit", n, wall, rss,
                    f"{len(counts)} feeds, {articles_in(root)} items"))


def bench_peers(n: int, runs: int, rows: list[Row], pelican: Path | None, hugo: Path | None) -> None:
    articles = articles_in(project(n, False))

    def pelican_ok(counts: dict[str, int]) -> bool:
        categories = sum(v for k, v in counts.items()
                         if not k.startswith("feeds/all.") and k.endswith("atom.xml"))
        return counts.get("feeds/all.atom.xml") == counts.get("feeds/all.rss.xml") == articles \
            and categories == articles

    def hugo_ok(counts: dict[str, int]) -> bool:
        sections = sum(v for k, v in counts.items() if "/" in k and k.endswith("index.xml"))
        return (counts.get("index.xml"), counts.get("atom.xml")) == (articles, articles) \
            and sections == articles

    if pelican is not None:
        _peer("pelican", n, runs, rows, to_pelican,
              [str(pelican), "content", "-s", "pelicanconf.py", "-o", "output", "-q"], "output",
              pelican_ok)
    if hugo is not None:
        cmd = [str(hugo), "--quiet", "-d", "public"]
        _peer("hugo", n, runs, rows, to_hugo, cmd, "public", hugo_ok)
        PAIRED[n] = _alternate(project(n, False), FEEDS, "output", WORK / f"hugo-{n}", cmd,
                               "public", runs)


def _alternate(ours: Path, our_cmd: list[str], our_out: str, theirs: Path, their_cmd: list[str],
               their_out: str, runs: int) -> list[float]:
    """Cold builds of feeds and a peer taken in turn, and the ratio of each pair:
    a drift in the machine's speed then falls on both alike."""
    ratios = []
    for _ in range(runs):
        shutil.rmtree(ours / our_out, ignore_errors=True)
        shutil.rmtree(ours / ".feeds", ignore_errors=True)
        mine, _ = measure(our_cmd, ours)
        shutil.rmtree(theirs / their_out, ignore_errors=True)
        other, _ = measure(their_cmd, theirs)
        ratios.append(mine / other)
    return ratios


def bench_formats(n: int, runs: int, rows: list[Row]) -> None:
    """Cold no-limit builds writing every format and the digest, and Atom and RSS only,
    taken in turn: the cost of JSON Feed and the digest, from one run."""
    three, two = project(n, False), project(n, False, two_formats=True)
    ratios, walls, peaks = [], [], []
    for _ in range(runs):
        for root in (three, two):  # cold: no output and no state
            shutil.rmtree(root / "output", ignore_errors=True)
            shutil.rmtree(root / ".feeds", ignore_errors=True)
        mine, rss = measure(FEEDS, three)
        other, _ = measure(FEEDS, two)
        ratios.append(mine / other)
        walls.append(other)
        peaks.append(rss)
    rows.append(Row("feeds cold, no limit, Atom+RSS only", n, statistics.median(walls), 0,
                    check_feeds(two, articles_in(two), False)))
    FORMAT_PAIRS[n] = ratios


def entries_per_feed(out: Path) -> dict[str, int]:
    """Entries in each feed, its archive pages' counted with it (by feed path)."""
    counts: dict[str, int] = {}
    for path in out.rglob("*"):
        rel = path.relative_to(out).as_posix()
        if path.suffix not in (".xml", ".json") or rel in ("sitemap.xml",) or ".feeds" in rel:
            continue
        data = path.read_bytes()
        folder, _, name = rel.rpartition("/")
        if folder.endswith("archive"):
            folder = folder[:-len("archive")].rstrip("/")
            name = name.split("-")[0] + path.suffix  # archive/atom-<name>.xml: atom.xml
        feed = f"{folder}/{name}" if folder else name
        found = data.count(b"\n  <entry>") if name == "atom.xml" else \
            data.count(b"<item>") if name == "rss.xml" else len(json.loads(data)["items"])
        counts[feed] = counts.get(feed, 0) + found
    return counts


def bench_archives(n: int, runs: int, rows: list[Row]) -> None:
    """Cold builds with archives (the defaults) against no-limit builds, and one new
    issue with archives against the default limits without them, each pair in turn."""
    archived, everything = project(n, True), project(n, False)
    plain = project(n, True, archives=False)
    cold_ratio, new_diff, cold, new, new_plain = [], [], [], [], []
    extra = write_corpus(1, WORK / "extra", start=n)[0]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    for _ in range(runs):
        for root in (archived, everything):  # cold: no output and no state
            shutil.rmtree(root / "output", ignore_errors=True)
            shutil.rmtree(root / ".feeds", ignore_errors=True)
        mine, _ = measure(FEEDS, archived)
        whole, _ = measure(FEEDS, everything)
        cold.append(mine)
        cold_ratio.append(mine / whole)
        walls = []
        for root in (archived, plain):
            (root / "issues" / extra.name).unlink(missing_ok=True)
            subprocess.run(FEEDS, cwd=root, check=True, env=env)
            shutil.copy(extra, root / "issues" / extra.name)
            walls.append(measure(FEEDS, root)[0])
            (root / "issues" / extra.name).unlink()
        new.append(walls[0])
        new_plain.append(walls[1])
        new_diff.append(walls[0] - walls[1])
    shutil.rmtree(archived / "output", ignore_errors=True)
    shutil.rmtree(archived / ".feeds", ignore_errors=True)
    subprocess.run(FEEDS, cwd=archived, check=True, env=env)
    got, want = entries_per_feed(archived / "output"), entries_per_feed(everything / "output")
    if got != want:
        raise SystemExit(f"archives do not hold every entry once: {got} against {want}")
    rows.append(Row("feeds cold, archives (defaults)", n, statistics.median(cold), 0,
                    f"{sum(got.values())} entries, each once per feed and format"))
    rows.append(Row("feeds one new issue, archives", n, statistics.median(new), 0, ""))
    rows.append(Row("feeds one new issue, no archives", n, statistics.median(new_plain), 0, ""))
    ARCHIVES[n] = (cold_ratio, new_diff)


def bench_floors(n: int, runs: int, rows: list[Row]) -> None:
    root = project(n, False)
    wall, rss = repeat(runs, lambda: None, [sys.executable, "-c",
                                            "import click, feedgen.feed, markdown_it"], root)
    rows.append(Row("floor: python + imports", n, wall, rss, ""))
    out_bytes = sum(p.stat().st_size for p in (root / "output").rglob("*.xml"))
    script = ("import pathlib\n"
              "d = b''.join(p.read_bytes() for p in sorted(pathlib.Path('issues').glob('*.md')))\n"
              f"o = pathlib.Path('floor.out')\no.write_bytes(b'x' * {out_bytes})\no.unlink()")
    wall, rss = repeat(runs, lambda: None, [sys.executable, "-c", script], root)
    rows.append(Row("floor: read corpus + write output bytes", n, wall, rss,
                    f"{out_bytes / 1e6:.0f} MB written"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers-n", type=int, nargs="*", default=[1000])
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--peers", nargs="+", choices=["hugo", "pelican"],
                        default=["hugo", "pelican"], help="the peers to install and time")
    parser.add_argument("--formats-n", type=int, nargs="*", default=[1000],
                        help="also time Atom+RSS-only builds against every format, in turn")
    parser.add_argument("--archives-n", type=int, nargs="*", default=[1000],
                        help="also time builds with archives against no limit, in turn")
    parser.add_argument("--only-archives", action="store_true",
                        help="time nothing but the archives' pairs")
    parser.add_argument("--only-regen", action="store_true",
                        help="time nothing but the rebuild after a config change, against cold")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    compile_package()
    pelican, hugo = (None, None) if args.no_peers else setup(WORK, args.peers)
    rows: list[Row] = []
    for n in args.n:
        if args.only_archives or args.only_regen:
            (bench_archives if args.only_archives else bench_regen)(n, args.runs, rows)
            continue
        bench_feeds(n, args.runs, rows)
        bench_regen(n, args.runs, rows)
        bench_floors(n, args.runs, rows)
        if n in args.formats_n:
            bench_formats(n, args.runs, rows)
        if n in args.archives_n:
            bench_archives(n, args.runs, rows)
        if n in args.peers_n:
            bench_peers(n, args.runs, rows, pelican, hugo)
    print(f"\n{'scenario':44} {'N':>5} {'wall s':>8} {'max RSS MB':>11}  check")
    for r in rows:
        rss = f"{r.rss_mb:.0f}" if r.rss_mb else ""
        print(f"{r.scenario:44} {r.n:>5} {r.seconds:>8.2f} {rss:>11}  {r.check}")
    for n in args.n:
        by = {r.scenario: r for r in rows if r.n == n}
        ours = by.get("feeds cold, no limit")
        for peer in ("hugo build, no limit", "pelican build, no limit"):
            if ours and peer in by:
                name = peer.split()[0]
                print(f"N={n}: feeds / {name} = {ours.seconds / by[peer].seconds:.2f} "
                      f"(time), {ours.rss_mb / by[peer].rss_mb:.2f} (memory)")
        for limits in (False, True):
            ratios = PAGES.get((n, limits), [])
            by_name = "feeds cold, " + ("default limits" if limits else "no limit")
            if ratios and by_name in by:
                plain = by[by_name + ", no pages"].seconds
                print(f"N={n}: the web edition adds {by[by_name].seconds / plain - 1:+.0%} to a "
                      f"cold build ({'default limits' if limits else 'no limit'}): medians "
                      f"{by[by_name].seconds:.2f} s against {plain:.2f} s; pairs taken in turn "
                      f"{min(ratios) - 1:+.0%} to {max(ratios) - 1:+.0%}, median "
                      f"{statistics.median(ratios) - 1:+.0%}")
        if n in REGEN_PAIRS:
            times, peaks = REGEN_PAIRS[n]
            print(f"N={n}: rebuild after a config change (pages off, then on) / cold build = "
                  f"{statistics.median(times):.2f} (time, {min(times):.2f}–{max(times):.2f}), "
                  f"{statistics.median(peaks):.2f} (memory), {len(times)} pairs taken in turn")
        if n in FORMAT_PAIRS:
            ratios = FORMAT_PAIRS[n]
            print(f"N={n}: every format + digest / Atom and RSS only = "
                  f"{statistics.median(ratios):.2f} (time), the median of {len(ratios)} pairs "
                  f"of cold no-limit builds taken in turn ({min(ratios):.2f}–{max(ratios):.2f})")
        if n in ARCHIVES:
            ratios, diffs = ARCHIVES[n]
            print(f"N={n}: cold build with archives / no limit = {statistics.median(ratios):.2f} "
                  f"({min(ratios):.2f}–{max(ratios):.2f}); one new issue with archives - "
                  f"without = {statistics.median(diffs):+.2f} s ({min(diffs):+.2f} to "
                  f"{max(diffs):+.2f}), {len(ratios)} pairs taken in turn")
        if n in PAIRED:
            ratios = PAIRED[n]
            print(f"N={n}: feeds / hugo = {statistics.median(ratios):.2f} (time), the median of "
                  f"{len(ratios)} pairs of cold builds taken in turn "
                  f"({min(ratios):.2f}–{max(ratios):.2f})")
    new = {r.n: r.seconds for r in rows if r.scenario == "feeds one new issue, default limits"}
    small = min(new, default=None)
    for n in sorted(new):
        if small is not None and n != small:
            print(f"one new issue at N={n} / at N={small} = {new[n] / new[small]:.2f} (time)")
    if args.json:
        pages = {f"{n}-{'limits' if limits else 'all'}": v for (n, limits), v in PAGES.items()}
        args.json.write_text(json.dumps({"rows": [r.__dict__ for r in rows],
                                         "feeds_hugo_pairs": PAIRED, "pages_pairs": pages,
                                         "formats_pairs": FORMAT_PAIRS},
                                        indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
