"""The repository alone is enough: tests need nothing beside it, packaging warns of nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ATOM_RNG, ROOT, SEED


def _repository_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                         cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def test_what_the_tests_read_is_inside_the_repository() -> None:
    assert SEED.is_relative_to(ROOT) and SEED.read_bytes().startswith(b"# ")
    assert ATOM_RNG.is_relative_to(ROOT) and b"atomFeed" in ATOM_RNG.read_bytes()
    assert (ROOT / "tests" / "data" / "README.md").read_text("utf-8").count("atom-rfc4287") >= 2


def test_the_suite_collects_in_a_copy_with_nothing_beside_it(tmp_path: Path) -> None:
    copy = tmp_path / "p"
    for name in _repository_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    assert not (tmp_path / "shared").exists()
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                         cwd=copy, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " error" not in run.stdout.splitlines()[-1]


def test_installing_prints_no_deprecation_warning(tmp_path: Path) -> None:
    """setuptools deprecates ``license = { text = ... }``; the SPDX string form needs setuptools 77+."""
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps",
                          "--disable-pip-version-check", "-e", str(ROOT)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Would install feeds-" in run.stdout
    assert "deprecated" not in (run.stdout + run.stderr).lower()
