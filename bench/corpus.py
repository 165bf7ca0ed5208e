"""A deterministic corpus of newsletter issues for benchmarks and stress tests.

``python bench/corpus.py N DIR [--seed S]`` writes N issue files shaped like
issues/2024-29.md: 3-8 sections per issue from a pool of 12, 1-6
articles per section, titles of 10-40 and summaries of 60-300 Chinese
characters, unique URLs, issue numbers in Chinese numerals, dates in the file
names. 1,000 issues are about 19,000 articles and 13 MB.
"""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from pathlib import Path

from compose import DraftArticle, issue_markdown

NAME = "云计算技术动态"
SECTIONS = ["分布式系统", "云计算技术", "大模型技术", "技术之外", "数据库", "操作系统",
            "网络技术", "存储系统", "编程语言", "安全技术", "芯片与硬件", "开源社区"]
HANZI = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下"
         "过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都"
         "两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新"
         "线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通"
         "并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组"
         "见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领"
         "七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清美再采转更单风切打白教速花带安场"
         "身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广"
         "石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办"
         "青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江")
ASCII_WORDS = ["AI", "GPU", "LLM", "Kubernetes", "RDMA", "Raft", "PyTorch", "Rust", "eBPF",
               "Serverless", "RoCE", "CXL", "NVMe", "Transformer"]


def _text(rng: random.Random, low: int, high: int, punct: bool) -> str:
    length = rng.randint(low, high)
    out: list[str] = []
    while len(out) < length:
        if rng.random() < 0.04:
            out.append(f" {rng.choice(ASCII_WORDS)} ")
        elif punct and rng.random() < 0.06:
            out.append(rng.choice("，。、；"))
        else:
            out.append(rng.choice(HANZI))
    return "".join(out)[:high].strip() + ("。" if punct else "")


def issue_text(rng: random.Random, year: int, number: int, url_id: list[int]) -> str:
    sections = []
    for name in sorted(rng.sample(SECTIONS, rng.randint(3, 8)), key=SECTIONS.index):
        articles = []
        for _ in range(rng.randint(1, 6)):
            url_id[0] += 1
            token = f"{url_id[0]:08d}{rng.getrandbits(40):010x}"
            articles.append(DraftArticle(title=_text(rng, 10, 40, False),
                                         url=f"https://mp.weixin.qq.com/s/{token}",
                                         summary=_text(rng, 60, 299, True)))
        sections.append((name, articles))
    return issue_markdown(NAME, year, number, sections)


def write_corpus(n: int, folder: Path, seed: int = 29, start: int = 0) -> list[Path]:
    """Write issues ``start`` .. ``start + n - 1`` (weekly, from 2005) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        rng = random.Random(f"{seed}:{i}")
        day = date(2005, 1, 3) + timedelta(weeks=i)
        number = (day - date(day.year, 1, 1)).days // 7 + 1
        path = folder / f"{day.isoformat()}-{number}.md"
        path.write_text(issue_text(rng, day.year, number, [i * 100]), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=29)
    args = parser.parse_args()
    paths = write_corpus(args.n, args.folder, args.seed)
    size = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} issues, {size / 1e6:.1f} MB in {args.folder}")


if __name__ == "__main__":
    main()
