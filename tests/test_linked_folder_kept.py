"""A published folder replaced by a link that leaves ``output/`` (its files moved there,
stats and all) is refused by a build, exit 4, as it is when the build writes a file in
it — also when every file in the folder is kept as it is (archive pages, feeds and pages
kept by their keys), which is never written and so was never checked.

Found by breaker9: ``mv output/archive /elsewhere; ln -s /elsewhere output/archive``,
then one new issue: exit 0, the link left in ``output/`` and the archive pages it leads
to taken for published ones (the same with a section's folder once its feeds are kept
by key, site.KEEP_FEEDS); with the section's feeds made and compared the build said
``output/sections/…/atom.xml: refusing to write through a link that leaves output``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from corpus import write_corpus
from test_build import CONFIG, all_files, build


def _project(root: Path) -> Path:
    write_corpus(24, root / "issues")
    (root / "feeds.toml").write_text(CONFIG, encoding="utf-8")
    return root


def _written(stdout: str, out: Path) -> set[str]:
    prefix = f"wrote {out}/"
    return {line[len(prefix):] for line in stdout.splitlines() if line.startswith(prefix)}


def _untouched_folders(tmp_path: Path) -> set[str]:
    """The folders in which one new issue writes nothing (a twin project, no link)."""
    twin = _project(tmp_path / "twin")
    assert build(twin, "--quiet")[0] == 0
    folders = {p.rpartition("/")[0] for p in all_files(twin / "output") if "/" in p}
    write_corpus(1, twin / "issues", start=24)
    code, stdout, err = build(twin)
    assert code == 0, err
    return folders - {p.rpartition("/")[0] for p in _written(stdout, twin / "output")}


@pytest.mark.parametrize("kind", ["archive", "section"])
def test_a_kept_folder_linked_out_of_output_is_refused(tmp_path: Path, kind: str) -> None:
    untouched = _untouched_folders(tmp_path)
    folder = "archive" if kind == "archive" else \
        sorted(f for f in untouched if f.startswith("sections/") and "/" not in f[9:])[0]
    assert folder in untouched  # the new issue writes nothing in it
    project = _project(tmp_path / "site")
    assert build(project, "--quiet")[0] == 0
    out = project / "output"
    elsewhere = tmp_path / "elsewhere"
    shutil.move(out / folder, elsewhere)  # a rename: the files keep their stats
    (out / folder).symlink_to(elsewhere, target_is_directory=True)
    before = all_files(elsewhere)
    write_corpus(1, project / "issues", start=24)
    code, _, err = build(project)
    first = sorted(before)[0]
    assert (code, err) == (4, f"feeds: error: {out / folder / first}: refusing to write "
                              f"through a link that leaves {out}\n")
    assert all_files(elsewhere) == before
