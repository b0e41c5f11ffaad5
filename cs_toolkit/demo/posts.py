"""Seeded demo forum and web posts (舆情) about the demo projects, with the truth for tests.

Posts come from owner forums, Weibo, Xiaohongshu, Tieba, a complaints site, news sites and an English expat
forum; about 70% name a demo project by its name or an alias (:data:`PROJECT_ALIASES`), the rest talk about
other developers' projects or the market. Roughly a third are negative. On one day (``spike_day``) one project
(``spike_project``) gets a burst of posts about a leaking car park (a volume spike), and on another day a
trapped-in-lift post (P1 safety) appears. Texts mix Chinese and English.

Truth columns: ``project_true`` (id or ""), ``negative_true``, ``spike_true``, ``p1_true``.

Examples
--------
>>> from cs_toolkit.demo.posts import make_posts
>>> posts = make_posts(seed=0)
>>> posts["spike_true"].sum() >= 12, posts["p1_true"].sum(), (posts["project_true"] == "").any()
(np.True_, np.int64(1), np.True_)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cs_toolkit.demo.places import PROJECTS

#: Other names the demo projects go by online: the English name and a short name.
PROJECT_ALIASES: dict[str, list[str]] = {
    "P01": ["翠湖", "Emerald Lake Garden", "Emerald Lake"],
    "P02": ["锦江府", "Jinjiang Mansion"],
    "P03": ["滨江1号", "Riverside No.1", "Riverside No. 1"],
    "P04": ["云顶", "Cloud Peak Villas", "Cloud Peak"],
    "P05": ["Future City"],
    "P06": ["香榭", "Champs Residence"],
}
SOURCES = [("业主论坛", "https://bbs.example.cn/t/{i}"), ("微博", "https://weibo.example.com/{i}"),
           ("小红书", "https://xhs.example.cn/n/{i}"), ("百度贴吧", "https://tieba.example.com/p/{i}"),
           ("黑猫投诉", "https://ts.example.cn/c/{i}"), ("新闻网站", "https://news.example.cn/a/{i}.html"),
           ("Expat forum", "https://expat.example.com/thread/{i}")]
NEGATIVE_ZH = ["{p}{b}栋地下车库又漏水了，物业拖延不修，太差了", "{p}交房一年房产证还没办，开发商忽悠业主", "{p}的物业乱收费，停车费涨价没有公示，很不满意",
               "{p}外墙开裂，质量问题这么多，后悔买了", "{p}客服态度恶劣，投诉无门", "{p}小区垃圾没人清理，臭得不行"]
POSITIVE_ZH = ["{p}物业维修很及时，师傅很专业，点赞", "{p}小区绿化做得不错，住着很舒服", "{p}交房质量还可以，感谢工程部的耐心整改",
               "今天去{p}看房，样板间很漂亮，值得推荐"]
NEUTRAL_ZH = ["{p}附近新开了一家超市", "请问{p}的学区是哪个小学", "{p}二手房现在什么价格", "{p}周末有业主活动吗"]
NEGATIVE_EN = ["The lift at {p} is broken again, terrible service", "Water leaking into our flat at {p}, nobody came to fix it",
               "{p} management overcharged us, really disappointed"]
POSITIVE_EN = ["The maintenance team at {p} was quick and helpful, thanks", "Moved into {p} last month, very happy so far"]
OTHER = ["万科城今天开盘，价格比去年低", "最近的房贷利率又下调了", "保利的新盘交付质量怎么样？", "Anyone know a good moving company in the city?",
         "隔壁楼盘的物业费是多少", "The housing market is slowing down this year"]
SPIKE = ["{p}{b}栋地下车库大面积渗水，业主们都很气愤", "{p}车库漏水泡坏了好几辆车，要求赔偿", "{p}车库积水严重，物业不作为",
         "{p} car park flooded again, many owners are angry", "{p}业主集体维权，车库渗漏问题拖了半年"]
P1 = "{p}{b}栋电梯困人一个多小时，没人来救援，太危险了"


def _name(pid: str, rng: np.random.Generator) -> str:
    zh = next(z for p, z, _ in PROJECTS if p == pid)
    return rng.choice([zh, zh, *PROJECT_ALIASES[pid]])


def make_posts(n: int = 600, seed: int = 0, start: str = "2026-09-01", days: int = 91,
               spike_project: str = "P03", spike_day: int = 75, spike_size: int = 14,
               p1_project: str = "P01", p1_day: int = 80) -> pd.DataFrame:
    """About ``n`` posts over ``days`` days from ``start`` (plus the spike), with true labels.

    Columns: ``post_id``, ``posted_at``, ``source``, ``title``, ``text``, ``url``, ``author`` and the truth
    ``project_true``, ``negative_true``, ``spike_true``, ``p1_true``.
    """
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    pids = [p for p, _, _ in PROJECTS]
    rows = []

    def add(text: str, pid: str, negative: bool, when: pd.Timestamp, spike=False, p1=False):
        src, url = SOURCES[int(rng.integers(0, len(SOURCES)))]
        if any(c.isascii() and c.isalpha() for c in text[:3]) and rng.random() < 0.7:
            src, url = SOURCES[-1]
        title = text.split("，")[0][:20] if rng.random() < 0.6 else ""
        rows.append({"posted_at": when, "source": src, "title": title, "text": text, "url": url, "project_true": pid,
                     "negative_true": negative, "spike_true": spike, "p1_true": p1})

    for _ in range(n):
        when = t0 + pd.Timedelta(minutes=int(rng.integers(0, days * 24 * 60)))
        kind = rng.random()
        if kind < 0.3:
            add(rng.choice(OTHER), "", False, when)
            continue
        pid = str(rng.choice(pids))
        name = _name(pid, rng)
        english = rng.random() < 0.15
        mood = rng.random()
        fill = {"p": name + (" " if name.isascii() else ""), "b": int(rng.integers(1, 25))}
        if mood < 0.4:
            add(rng.choice(NEGATIVE_EN if english else NEGATIVE_ZH).format(**fill), pid, True, when)
        elif mood < 0.7:
            add(rng.choice(POSITIVE_EN if english else POSITIVE_ZH).format(**fill), pid, False, when)
        else:
            add(rng.choice(NEUTRAL_ZH).format(**fill), pid, False, when)
    day = t0 + pd.Timedelta(days=spike_day)
    for _ in range(spike_size):
        name = _name(spike_project, rng)
        fill = {"p": name + (" " if name.isascii() else ""), "b": 6}
        add(rng.choice(SPIKE).format(**fill), spike_project, True, day + pd.Timedelta(minutes=int(rng.integers(480, 1380))),
            spike=True)
    name = _name(p1_project, rng)
    add(P1.format(p=name + (" " if name.isascii() else ""), b=3), p1_project, True,
        t0 + pd.Timedelta(days=p1_day, hours=20, minutes=12), p1=True)
    out = pd.DataFrame(rows).sort_values("posted_at", kind="stable").reset_index(drop=True)
    out.insert(0, "post_id", [f"{seed:02d}{i:06d}" for i in range(1, len(out) + 1)])
    out["url"] = [u.format(i=i) for u, i in zip(out["url"], out["post_id"], strict=True)]
    out["author"] = [f"用户{int(x):05d}" for x in rng.integers(0, 10**5, len(out))]
    out["posted_at"] = out["posted_at"].dt.floor("s")
    return out[["post_id", "posted_at", "source", "title", "text", "url", "author", "project_true", "negative_true",
                "spike_true", "p1_true"]]


def write_demo_posts(inbox: str | Path, seed: int = 0, **kw) -> list[Path]:
    """Write demo post exports into ``inbox/posts``: the first two months as a GB18030 CSV with Chinese column
    names (as a Chinese monitoring tool exports them), the rest as UTF-16 JSON. Returns the files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> files = write_demo_posts(pathlib.Path(tempfile.mkdtemp()) / "inbox")
    >>> sorted(p.name for p in files)
    ['posts_export.csv', 'posts_export.json']
    """
    folder = Path(inbox) / "posts"
    folder.mkdir(parents=True, exist_ok=True)
    posts = make_posts(seed=seed, **kw).drop(columns=["project_true", "negative_true", "spike_true", "p1_true"])
    cut = posts["posted_at"].min() + pd.Timedelta(days=61)
    early, late = posts[posts["posted_at"] < cut], posts[posts["posted_at"] >= cut]
    csv = folder / "posts_export.csv"
    early.rename(columns={"post_id": "帖子ID", "posted_at": "发布时间", "source": "来源", "title": "标题", "text": "内容",
                          "url": "链接", "author": "作者"}).to_csv(csv, index=False, encoding="gb18030")
    records = late.assign(posted_at=late["posted_at"].dt.strftime("%Y-%m-%dT%H:%M:%S+08:00")).to_dict("records")
    js = folder / "posts_export.json"
    import json

    js.write_bytes(json.dumps({"posts": records}, ensure_ascii=False, indent=1).encode("utf-16"))
    return [csv, js]


__all__ = ["PROJECT_ALIASES", "make_posts", "write_demo_posts"]
