"""What a hostile tester found an editor can get wrong without being told: a second
issue in one file, issue files that cannot be read, messages that named the wrong
thing. Each test failed before its fix."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import run_main

from feeds.sanity import _Row, sanity_warnings

TZ = ZoneInfo("Asia/Shanghai")
ARTICLE = "## 分布式系统\n\n**1.** **{t}**\n\nhttps://a.example/{t}\n\n**摘要:** 摘要。\n"


def _issue(year: int, number: int, title: str = "A", front: str = "") -> str:
    text = f"# 云计算技术动态 {year} 年第{number}期\n\n" + ARTICLE.format(t=title)
    return f"---\n{front}\n---\n{text}" if front else text


def _published(project: Path) -> dict[str, bytes]:
    out = project / "output"
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


# -- one file holds one issue

def test_a_second_issue_heading_in_one_file_is_an_error_on_its_line(project: Path) -> None:
    (project / "issues" / "2023-01-07-1.md").write_text(
        _issue(2023, 1) + "\n" + _issue(2023, 2, "B"), encoding="utf-8")
    assert run_main("check") == (1, (
        "issues/2023-01-07-1.md:11: error: a second issue heading '云计算技术动态 2023 年第2期' "
        "(the first is on line 1): one file holds one issue; put this one in a file of its "
        "own\nchecked 1 file: 1 error, 0 warnings\n"), "")
    code, _, err = run_main("build", "-q")
    assert code == 1 and err.endswith("feeds: 1 error; nothing was written\n")
    assert not (project / "output" / "atom.xml").exists()


def test_an_issue_heading_after_the_first_section_is_an_error(project: Path) -> None:
    text = ARTICLE.format(t="A") + "\n# 云计算技术动态 2023 年第1期\n"
    (project / "issues" / "2023-01-07-1.md").write_text(text, encoding="utf-8")
    assert run_main("check") == (1, (
        "issues/2023-01-07-1.md:1: error: no issue number: write the heading as '# 云计算技术动态 "
        "2024 年第二十九期' or set 'number:' in front matter\n"
        "issues/2023-01-07-1.md:9: error: the issue heading '云计算技术动态 2023 年第1期' "
        "comes after the first section; move it to the top of the file\n"
        "checked 1 file: 2 errors, 0 warnings\n"), "")


def test_a_heading_of_another_form_stays_text() -> None:
    """Only a heading in the issue heading's form is refused: another `#` line after
    the issue's heading is text, as before."""
    from conftest import parse

    issue = parse(_issue(2023, 1) + "\n# 附录\n")
    assert issue.articles[0].summary_text == "摘要。\n\n附录"


# -- issue files that cannot be read as regular files

@pytest.mark.parametrize(("make", "reason"), [
    (lambda p: p.symlink_to("gone.md"),
     "it is a symbolic link to 'gone.md', which does not exist"),
    (lambda p: p.symlink_to(p.name), "it is a symbolic link to '2023-01-14-2.md', which is a "
                                     "loop of links"),
    (os.mkfifo, "not a regular file but a named pipe"),
    (lambda p: p.symlink_to("/dev/zero"), "not a regular file but a character device"),
])
def test_an_issue_file_that_is_no_regular_file_is_an_error_naming_it(
        project: Path, make: object, reason: str) -> None:
    """A dangling link, a FIFO or a device named like an issue was skipped without a
    word; now `check` and `build` name it (and never block on a FIFO)."""
    (project / "issues" / "2023-01-07-1.md").write_text(_issue(2023, 1), encoding="utf-8")
    make(project / "issues" / "2023-01-14-2.md")  # type: ignore[operator]
    line = f"issues/2023-01-14-2.md: error: cannot read: {reason}\n"
    assert run_main("check") == (1, line + "checked 2 files: 1 error, 0 warnings\n", "")
    assert run_main("build", "-q") == (1, "", line + "feeds: 1 error; nothing was written\n")


def test_an_issue_whose_link_target_vanished_is_an_error_and_nothing_is_lost(
        project: Path) -> None:
    """A symlinked issue whose target disappears silently dropped its articles from
    the feeds; now the build stops and the published feeds stay as they were."""
    (project / "issues" / "2023-01-07-1.md").write_text(_issue(2023, 1), encoding="utf-8")
    (project / "drafts").mkdir()
    (project / "drafts" / "two.md").write_text(_issue(2023, 2, "B"), encoding="utf-8")
    (project / "issues" / "2023-01-14-2.md").symlink_to(project / "drafts" / "two.md")
    assert run_main("build", "-q")[0] == 0
    before = _published(project)
    assert b"https://a.example/B" in before["atom.xml"]
    (project / "drafts" / "two.md").unlink()
    code, out, err = run_main("build", "-q")
    assert (code, out) == (1, "")
    assert err == (f"issues/2023-01-14-2.md: error: cannot read: it is a symbolic link to "
                   f"'{project / 'drafts' / 'two.md'}', which does not exist\n"
                   "feeds: 1 error; nothing was written\n")
    assert _published(project) == before


def test_a_link_to_a_folder_named_like_an_issue_is_still_not_followed(project: Path) -> None:
    (project / "issues" / "2023-01-07-1.md").write_text(_issue(2023, 1), encoding="utf-8")
    (project / "elsewhere").mkdir()
    (project / "elsewhere" / "2023-01-14-2.md").write_text(_issue(2023, 2), encoding="utf-8")
    (project / "issues" / "linked.md").symlink_to(project / "elsewhere",
                                                  target_is_directory=True)
    assert run_main("check") == (0, "checked 1 file: 0 errors, 0 warnings\n", "")


# -- the date and year warnings name the right place and suggest a real change

def test_front_matter_year_against_the_heading_is_a_warning_and_named_rightly(
        project: Path) -> None:
    (project / "issues" / "2023-05-01-2.md").write_text(
        _issue(2023, 2, front="year: 2024"), encoding="utf-8")
    assert run_main("check") == (0, (
        "issues/2023-05-01-2.md:2: warning: front matter 'year: 2024' overrides the year 2023 "
        "in the heading (line 4); the issue is published with year 2024: correct the one "
        "that is wrong\n"
        "issues/2023-05-01-2.md:4: warning: the issue's date 2023-05-01 (from its file name) "
        "is in 2023, but it is issue 2024 No. 2; correct it in the file name "
        "(2024-05-01-2.md rather than 2023-05-01-2.md), or set 'date: 2024-05-01' in front "
        "matter\n"
        "checked 1 file: 0 errors, 2 warnings\n"), "")


def test_front_matter_date_is_fixed_in_front_matter_not_in_the_file_name(
        project: Path) -> None:
    """The tester's case: the warning suggested the file's own name back."""
    (project / "issues" / "2024-12-30-1.md").write_text(
        _issue(2024, 1, front="date: 2023-12-30"), encoding="utf-8")
    code, out, _ = run_main("check")
    assert code == 0
    assert out.splitlines()[0] == (
        "issues/2024-12-30-1.md:4: warning: the issue's date 2023-12-30 (from its front "
        "matter) is in 2023, but it is issue 2024 No. 1; correct it in its front matter "
        "('date: 2024-12-30')")


NOW = datetime(2026, 11, 29, 12, 0, tzinfo=TZ)


@pytest.mark.parametrize(("path", "day", "source", "fix"), [
    ("issues/2024-1.md", datetime(2023, 12, 30, tzinfo=TZ), "git",
     "from the git commit that added the file) is in 2023, but it is issue 2024 No. 1; give "
     "its real date as 'date: 2024-12-30' in front matter, or in the file name "
     "(2024-12-30-1.md rather than 2024-1.md)"),
    ("issues/2024-1.md", datetime(2023, 12, 30, tzinfo=TZ), "mtime",
     "from the file's modification time) is in 2023, but it is issue 2024 No. 1; give its "
     "real date as 'date: 2024-12-30' in front matter, or in the file name "
     "(2024-12-30-1.md rather than 2024-1.md)"),
    ("issues/2027-01-05-1.md", datetime(2027, 1, 5, tzinfo=TZ), "file name",
     "from its file name) is more than a day in the future; correct it in the file name "
     "(YYYY-MM-DD-1.md rather than 2027-01-05-1.md), or set 'date: YYYY-MM-DD' in front matter"),
    ("issues/x-2024-02-29-y.md", datetime(2024, 2, 29, tzinfo=TZ), "file name",
     "from its file name) is in 2024, but it is issue 2023 No. 1; correct it in the file name "
     "(x-YYYY-MM-DD-y.md rather than x-2024-02-29-y.md), or set 'date: YYYY-MM-DD' in front "
     "matter"),
    ("issues/a.md", datetime(2027, 1, 5, 8, 0, tzinfo=TZ), "front matter",
     "from its front matter) is more than a day in the future; correct it in its front "
     "matter ('date: YYYY-MM-DD')"),
])
def test_every_date_source_gets_its_own_fix_never_its_current_value(
        path: str, day: datetime, source: str, fix: str) -> None:
    year = 2023 if day.month == 2 else 2024 if day.year == 2023 else day.year
    issue = _Row(path, year, 1, day, source, 1)
    [warning] = sanity_warnings([issue], NOW)
    assert warning.message == f"the issue's date {day:%Y-%m-%d} ({fix}"
    current = path.rsplit("/", 1)[-1]
    assert f"rather than {current}" not in warning.message.replace(
        f"rather than {current})", "")
    assert f"date: {day:%Y-%m-%d}'" not in warning.message


# -- config errors name the key, its line and what was given

@pytest.mark.parametrize(("toml", "message"), [
    ("max_items = 1e9\n", "feeds.toml:1: max_items must be a whole number such as 100, not "
                          "1000000000.0 (a decimal number)"),
    ('title = "t"\npages = "no"\n', "feeds.toml:2: pages must be true or false, not 'no' "
                                    "(text)"),
    ('[sections]\n"分布式系统" = "ds"\nmax_items = 5\n',
     "feeds.toml:3: [sections] 'max_items' must be a slug in quotes such as "
     "\"distributed-systems\", not 5 (a whole number); every key below the [sections] line "
     "belongs to that table: move 'max_items = …' above it"),
    ("[sections] # slugs\n'分布式系统' = [1]\n",
     "feeds.toml:2: [sections] '分布式系统' must be a slug in quotes such as "
     "\"distributed-systems\", not [1] (a list)"),
    ("colour = 1\n", "feeds.toml:1: unknown key 'colour' (known: title, description, base_url, "
                     "author, email, language, timezone, max_items, section_max_items, "
                     "digest_max_items, archive_page_size, formats, digest, tag_authority, "
                     "state, sections, websub_hubs, websub_on_build, publish, pages, "
                     "templates)"),
    ("source = 'x'\n", "feeds.toml:1: unknown key 'source' (known: title, description, "
                       "base_url, author, email, language, timezone, max_items, "
                       "section_max_items, digest_max_items, archive_page_size, formats, "
                       "digest, tag_authority, state, sections, websub_hubs, websub_on_build, "
                       "publish, pages, templates)"),
    ("[publish]\non_build = 1\n", "feeds.toml: [publish] on_build must be true or false, not "
                                  "1 (a whole number)"),
])
def test_a_config_error_names_the_key_its_line_and_what_was_given(
        project: Path, toml: str, message: str) -> None:
    (project / "feeds.toml").write_text(toml, encoding="utf-8")
    assert run_main("check") == (2, "", f"feeds: error: {message}\n")


def test_a_sections_key_no_issue_has_is_a_warning_naming_it(project: Path) -> None:
    """A misspelt section name, or a top-level key written below [sections] as a text
    value (which the table takes as a section), was accepted silently."""
    (project / "issues" / "2023-01-07-1.md").write_text(_issue(2023, 1), encoding="utf-8")
    (project / "feeds.toml").write_text(
        'base_url = "https://example.com/feeds/"\n[sections]\n"分布式系统" = "ds"\n'
        '"分布式" = "dx"\ntitle = "x"\n', encoding="utf-8")
    warnings = (
        "feeds.toml:4: warning: [sections] '分布式' = 'dx' names a section that no issue has; "
        "check it against the '## ' section headings of the issues\n"
        "feeds.toml:5: warning: [sections] 'title' = 'x' names a section that no issue has; "
        "every key below the [sections] line belongs to that table: move 'title = …' above "
        "it\n")
    assert run_main("check") == (0, warnings + "checked 1 file: 0 errors, 2 warnings\n", "")
    for _ in range(2):  # a no-op build says them again
        code, _, err = run_main("build")
        assert (code, err) == (0, warnings)
    assert (project / "output" / "sections" / "ds" / "atom.xml").exists()
    (project / "feeds.toml").write_text(
        'base_url = "https://example.com/feeds/"\n[sections]\n"分布式系统" = "ds"\n',
        encoding="utf-8")
    assert run_main("check") == (0, "checked 1 file: 0 errors, 0 warnings\n", "")
    assert run_main("build")[::2] == (0, "")


# -- a state path that cannot be a folder: exit 2 at once

@pytest.mark.parametrize(("state", "reason"), [
    ("/dev/null", "it is not a folder; give --state (or the config's 'state' key) a folder, "
                  "which is made if missing"),
    ("/proc/self", "build.lock cannot be made in it (No such file or directory); give --state "
                   "(or the config's 'state' key) a folder this user can write"),
])
def test_a_state_path_that_is_no_usable_folder_is_a_usage_error_at_once(
        project: Path, state: str, reason: str) -> None:
    """/proc/self waited out the 60 s lock timeout (exit 3, 'another build still holds
    the lock'); /dev/null said 'cannot write: File exists' (exit 4)."""
    import time

    (project / "issues" / "2023-01-07-1.md").write_text(_issue(2023, 1), encoding="utf-8")
    started = time.monotonic()
    assert run_main("build", "--state", state) == (
        2, "", f"feeds: error: {state}: cannot be the state folder: {reason}\n")
    assert time.monotonic() - started < 10
    assert not (project / "output" / "atom.xml").exists()


def test_a_file_as_the_state_folder_in_the_config_is_a_usage_error(project: Path) -> None:
    (project / "issues" / "2023-01-07-1.md").write_text(_issue(2023, 1), encoding="utf-8")
    (project / "state-file").write_text("", encoding="utf-8")
    with (project / "feeds.toml").open("a", encoding="utf-8") as toml:
        toml.write('state = "state-file"\n')
    assert run_main("build")[::2] == (
        2, "feeds: error: state-file: cannot be the state folder: it is not a folder; give "
           "--state (or the config's 'state' key) a folder, which is made if missing\n")


# -- a template's failure names the template file and line, also with a relative folder

@pytest.mark.parametrize(("name", "text", "message"), [
    ("issue.html", "\n{{ 1 // 0 }}", "theme/issue.html:2: error: ZeroDivisionError: integer "
                                     "division or modulo by zero"),
    ("index.html", "{{ page.title.nope.x }}",
     "theme/index.html:1: error: 'str object' has no attribute 'nope'"),
    ("archive.html", '{% import "m.html" as m %}{{ m.f() }}',
     "theme/m.html:3: error: 'nope' is undefined"),
])
def test_a_template_failure_names_the_template_and_its_line(
        project: Path, name: str, text: str, message: str) -> None:
    """With `templates = "theme"` in a config in the current folder, Jinja names the
    templates by relative paths: a failure named the file without its line, and an
    undefined name only the page being made (`index.html: error:`)."""
    (project / "issues" / "2023-01-07-1.md").write_text(_issue(2023, 1), encoding="utf-8")
    with (project / "feeds.toml").open("a", encoding="utf-8") as toml:
        toml.write('templates = "theme"\n')
    (project / "theme").mkdir()
    (project / "theme" / "m.html").write_text(
        "\n\n{% macro f() %}{{ nope.x }}{% endmacro %}", encoding="utf-8")
    (project / "theme" / name).write_text(text, encoding="utf-8")
    assert run_main("build") == (2, "", f"{project / message}\n"
                                        "feeds: the templates have an error; nothing was written\n")
    assert not (project / "output" / "atom.xml").exists()


# -- what the README says keeps an entry's id and date, and what changes them

def _entries(text: str) -> dict[str, tuple[str, datetime]]:
    """Each article's title → (id, published), as the builder makes them."""
    from conftest import parse

    from feeds.builder import issue_entries
    from feeds.config import Config

    config = Config(base_url="https://example.com/", tag_authority="example.com")
    issue = parse(text, "issues/2023-01-07-1.md", None)
    return {e.title: (e.id, e.published) for e in issue_entries(issue, config)}


def _article(title: str, url: str) -> str:
    return f"**1.** **{title}**\n\n{url}\n\n**摘要:** 摘要。\n\n"


HEAD = "# 云计算技术动态 2023 年第1期\n\n## 分布式系统\n\n"


def test_ids_and_dates_change_exactly_as_the_readme_says() -> None:
    a, b, c = (_article(t, f"https://a.example/{t}") for t in "ABC")
    before = _entries(HEAD + a + c)
    date = datetime(2023, 1, 7, tzinfo=TZ)
    assert before["A"][0].startswith("tag:example.com,2023:issue-2023-1/")
    assert [p for _, p in before.values()] == [date.replace(second=1), date]
    # inserting B between A and C: ids stay; A, above it, moves 1 s later; C keeps its date
    inserted = _entries(HEAD + a + b + c)
    assert [i for i, _ in inserted.values()][::2] == [i for i, _ in before.values()]
    assert inserted["A"][1] == date.replace(second=2) and inserted["C"] == before["C"]
    # tracking parameters and a fragment are not part of the id; a fixed URL is
    tracked = _entries(HEAD + _article("A", "https://a.example/A?utm_source=x#top") + c)
    assert tracked == before
    fixed = _entries(HEAD + _article("A", "https://a.example/A2") + c)
    assert fixed["A"][0] != before["A"][0] and fixed["C"] == before["C"]
    # renumbering the issue gives every article a new id (its dates stay)
    renumbered = _entries(HEAD.replace("第1期", "第2期") + a + c)
    assert all(renumbered[t][0] != before[t][0] and renumbered[t][1] == before[t][1]
               for t in "AC")
    assert renumbered["A"][0].startswith("tag:example.com,2023:issue-2023-2/")
