"""An output folder that is or holds the issues folder or the project folder is refused:
a publish of it would publish the sources, and a build would write among them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEED
from test_build import CONFIG, all_files, write_project

from feeds.cli import cli


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_project(tmp_path / "news", {"2024-07-20-29.md": SEED.read_bytes()}, CONFIG)
    monkeypatch.chdir(root)
    return root


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("output", "what"), [
    (".", "the issues folder {root}/issues"), ("issues", "the issues folder {root}/issues"),
    ("..", "the issues folder {root}/issues"), ("issues/..", "the issues folder {root}/issues"),
])
def test_build_refuses_an_output_folder_holding_the_issues(project: Path, output: str,
                                                         what: str) -> None:
    before = all_files(project)
    assert run("build", "--output", output) == (
        2, "", f"feeds: error: {output}: the output folder is or holds "
               f"{what.format(root=project)}; choose another --output folder\n")
    assert all_files(project) == before


def test_build_refuses_the_project_folder_even_with_the_issues_elsewhere(
        project: Path, tmp_path: Path) -> None:
    (project / "issues").rename(tmp_path / "issues")
    before = all_files(project)
    assert run("build", "--issues", str(tmp_path / "issues"), "--output", ".") == (
        2, "", f"feeds: error: .: the output folder is or holds the project folder {project}; "
               "choose another --output folder\n")
    config = project / "feeds.toml"
    assert run("build", "--issues", str(tmp_path / "issues"), "--config", str(config),
               "--output", str(tmp_path)) == (
        2, "", f"feeds: error: {tmp_path}: the output folder is or holds the issues folder "
               f"{tmp_path / 'issues'}; choose another --output folder\n")
    assert all_files(project) == before


def test_publish_refuses_it_too_before_any_request(project: Path) -> None:
    assert run("build", "-q") == (0, "", "")
    assert run("publish", "s3://bucket/site", "--output", ".") == (
        2, "", f"feeds: error: .: the output folder is or holds the project folder {project}; "
               "choose another --output folder\n")


def test_a_sibling_or_inner_output_folder_is_fine(project: Path, tmp_path: Path) -> None:
    assert run("build", "-q", "--output", "public/site")[0] == 0
    assert (project / "public" / "site" / "atom.xml").is_file()
    assert run("build", "-q", "--output", str(tmp_path / "issues-out"))[0] == 0
    assert (tmp_path / "issues-out" / "atom.xml").is_file()
