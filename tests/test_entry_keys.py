"""An article entry's fragment key and revision, made inline from its fields by
:func:`feeds.builder.issue_entries`, are exactly what :func:`feeds.builder._key` and
:func:`feeds.builder.article_revision` (the reference) compute from the entry."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import SEED
from corpus import write_corpus

from feeds.builder import _key, article_revision, issue_entries
from feeds.config import Config
from feeds.parser import parse_issue

HOSTILE = """# 云计算技术动态 2024 年第三十期

## 安全 & <分布式>

**1.** **标题 \x1f <b>&amp;</b> \U0001f600**

https://例子.example/路径?q=1&r=<2>

**摘要:** 摘要 `code` *强调* <i>html</i> \x1e

**作者:** 张三 & 李四

**标签:** 云, <标签>, a\x1eb
"""


@pytest.mark.parametrize("config", [
    Config(base_url="https://feeds.example.com/"),
    Config(base_url="https://other.example/sub/", formats=("rss", "atom")),
    Config(base_url="https://feeds.example.com/", formats=("json",)),
])
def test_keys_and_revisions_equal_the_reference(config: Config, tmp_path: Path) -> None:
    write_corpus(12, tmp_path)
    texts = [SEED.read_bytes(), HOSTILE.encode(),
             *(p.read_bytes() for p in sorted(tmp_path.glob("*.md")))]
    date = datetime(2024, 7, 20, tzinfo=ZoneInfo("Asia/Shanghai"))
    checked = 0
    for at, text in enumerate(texts):
        issue = parse_issue(text, f"issues/{at}.md").issue
        for entry in issue_entries(replace(issue, date=issue.date or date), config):
            assert entry.key == _key(entry, config)
            assert entry.revision == article_revision(entry, config)
            checked += 1
    assert checked > 100
