"""The real issue (tests/data/2024-29.md, the seed) parses into exactly its sections and articles."""

from __future__ import annotations

from conftest import SEED, parse

from feeds.parser import parse_issue

EXPECTED = {
    "分布式系统": [
        ("PyTorch内部机制，来自核心开发者的全面解读",
         "https://mp.weixin.qq.com/s/tcCCSp51iE7_ZGdomZu8SQ"),
        ("AI存储：存储系统在优化AI训练中的关键作用",
         "https://mp.weixin.qq.com/s/-FtlZqxZbgzL7XcWbqKfzw"),
    ],
    "云计算技术": [
        ("Meta：大规模分布式AI训练的RoCE网络",
         "https://mp.weixin.qq.com/s/7na5o4MxTAdcKXgW0HIqRQ"),
        ("Brendan Gregg：AI火焰图", "https://mp.weixin.qq.com/s/0UpTYJ7eZCJ1_TM9XjfO4Q"),
    ],
    "大模型技术": [
        ("一篇大模型数据合成和增强技术最新综述",
         "https://mp.weixin.qq.com/s/jqzr5QvByk2o8OpOdSuzCw"),
        ("拆解LLM背后的概率学原理", "https://mp.weixin.qq.com/s/gF-EAVn0sfaPgvHmRLW3Gw"),
    ],
    "技术之外": [
        ("访谈Sam Altman：他再次阐述对一个人AI公司的定义以及GPT系列规划",
         "https://mp.weixin.qq.com/s/wTPFYn6Du761QrcmBUNODA"),
        ("云规模存储的颠覆性创新：微软探索新型存储技术",
         "https://mp.weixin.qq.com/s/Qt-2V_zJ3a3GCPGU_WcFgQ"),
    ],
}


def _summaries_in_source() -> list[str]:
    prefix = "**摘要:** "
    return [line[len(prefix):].rstrip() for line in SEED.read_text("utf-8").splitlines()
            if line.startswith(prefix)]


def test_seed_header() -> None:
    issue = parse(SEED.read_bytes())
    assert (issue.name, issue.year, issue.number) == ("云计算技术动态", 2024, 29)
    assert issue.title == "云计算技术动态 2024 年第二十九期"
    assert issue.date is None and issue.date_source == ""
    assert issue.intro_text == ""


def test_seed_sections_and_articles() -> None:
    issue = parse(SEED.read_bytes())
    assert [s.name for s in issue.sections] == list(EXPECTED)
    assert [s.slug for s in issue.sections] == [
        "fen-bu-shi-xi-tong", "yun-ji-suan-ji-shu", "da-mo-xing-ji-shu", "ji-shu-zhi-wai"]
    got = {s.name: [(a.title, a.url) for a in s.articles] for s in issue.sections}
    assert got == EXPECTED
    assert [a.position for a in issue.articles] == [1, 2] * 4
    assert [a.line for a in issue.articles] == [5, 11, 19, 25, 33, 39, 47, 53]


def test_seed_summaries_are_exact() -> None:
    issue = parse(SEED.read_bytes())
    source = _summaries_in_source()
    assert len(source) == 8
    assert [a.summary_text for a in issue.articles] == source
    assert [a.summary_html for a in issue.articles] == [f"<p>{s}</p>" for s in source]
    assert all(a.author == "" and a.source == "" and a.tags == () for a in issue.articles)


def test_seed_has_no_warnings() -> None:
    assert parse_issue(SEED.read_bytes(), "issues/2024-29.md").diagnostics == ()
