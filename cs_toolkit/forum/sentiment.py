"""A lexicon-based negativity score for Chinese and English posts.

**What it is.** Each post's normalised text (NFKC, lower case) is scanned for words of two small lexicons
written for property complaints and forum talk (:data:`NEGATIVE`, :data:`POSITIVE`; longer entries win, so
``不满意`` is one negative hit, not ``满意`` negated). A hit counts 1, or 1.5 after an intensifier (很, 太,
非常, 特别, 极其, 超, very, so, extremely, really, totally) within the 3 characters (Chinese) or 2 words
(English) before it, and changes side after a negator (不, 没, 没有, 未, 别, 无, 毫无, not, no, never,
n't, without) in that window; the window stops at a punctuation mark and at the previous hit. With ``N`` and ``P`` the weighted negative and positive hits:

    negativity = (N − P) / (N + P + 1)

in (−1, 1): 0 without any hit, 0.5 for one plain negative word, 0.67 for two, −0.5 for one positive.
A post is **negative** when ``negativity ≥ 0.3`` (:data:`NEGATIVE_THRESHOLD`): one negative word and no
positive one is enough; beside positive words it takes more (N=2, P=1 gives 0.25; N=3, P=1 gives 0.4). It is a screening score, not a classifier: irony, quotes and questions fool it.
Users extend the lexicons with ``extra_negative`` / ``extra_positive``.

Examples
--------
>>> negativity(["物业很差，投诉无门", "服务不错，点赞", "不满意", "not bad at all", "交房了"]).round(2).tolist()
[0.67, -0.67, 0.5, -0.5, 0.0]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np

NEGATIVE_THRESHOLD = 0.3

NEGATIVE = [
    # Chinese: quality, service, money, trust, anger, rights defence (维权)
    "差", "很差", "太差", "垃圾", "烂", "烂尾", "坑", "坑人", "被坑", "黑心", "无良", "奸商", "骗", "骗子", "欺骗",
    "欺诈", "忽悠", "虚假", "失望", "愤怒", "气愤", "恶心", "糟糕", "恶劣", "无语", "崩溃", "受够", "投诉", "投诉无门",
    "维权", "退房", "赔偿", "索赔", "曝光", "举报", "拉横幅", "不满", "不满意", "敷衍", "推诿", "踢皮球", "拖延",
    "不管", "没人管", "不作为", "漏水", "渗水", "渗漏", "开裂", "裂缝", "发霉", "空鼓", "故障", "停运", "困人",
    "事故", "隐患", "危险", "伤", "受伤", "砸", "坠落", "起火", "着火", "燃气味", "漏电", "延期", "逾期", "缩水",
    "货不对板", "乱收费", "涨价", "霸王条款", "噪音", "扰民", "臭", "脏", "乱", "堵", "问题", "麻烦", "后悔",
    "千万别买", "避雷", "劝退", "差评", "质量问题",
    # English
    "bad", "terrible", "awful", "horrible", "worst", "poor", "disappointed", "disappointing", "angry", "furious",
    "scam", "fraud", "cheated", "lied", "liar", "misleading", "complain", "complaint", "complaints", "refund",
    "compensation", "leak", "leaking", "leaks", "crack", "cracks", "mould", "mold", "broken", "faulty", "delay",
    "delayed", "unsafe", "dangerous", "danger", "injured", "injury", "fire", "trapped", "rude", "ignored",
    "useless", "nightmare", "avoid", "regret", "problem", "problems", "issue", "issues", "overcharged", "dirty",
    "noisy", "stuck", "never again",
]
POSITIVE = [
    "很好", "不错", "满意", "很满意", "非常满意", "点赞", "赞", "好评", "感谢", "谢谢", "专业", "及时", "负责",
    "热情", "耐心", "推荐", "值得", "放心", "舒服", "漂亮", "干净", "靠谱", "给力", "高效", "贴心", "解决了",
    "已解决", "认可", "优秀", "棒",
    "good", "great", "excellent", "satisfied", "happy", "thanks", "thank you", "professional", "helpful",
    "recommend", "quick", "fixed", "resolved", "clean", "nice", "lovely", "friendly", "responsive", "well done",
]
NEGATORS_ZH = ["毫无", "没有", "并不", "不", "没", "未", "别", "无", "非"]
NEGATORS_EN = ["not", "no", "never", "without", "n't", "nothing", "hardly"]
INTENSIFIERS_ZH = ["非常", "特别", "极其", "十分", "太", "很", "超", "真"]
INTENSIFIERS_EN = ["very", "so", "extremely", "really", "totally", "absolutely", "utterly"]


def _norm(text: object) -> str:
    return unicodedata.normalize("NFKC", "" if text is None or (isinstance(text, float) and text != text)
                                 else str(text)).lower()


def _compile(words: Iterable[str]) -> re.Pattern:
    parts = []
    for w in sorted({_norm(w) for w in words if str(w).strip()}, key=len, reverse=True):
        body = r"\s+".join(re.escape(p) for p in w.split())
        parts.append(rf"(?<![a-z]){body}(?![a-z])" if w.isascii() else body)
    return re.compile("|".join(parts))


_CACHE: dict[tuple, tuple[re.Pattern, set[str]]] = {}


def _lexicon(extra_negative: tuple[str, ...], extra_positive: tuple[str, ...]) -> tuple[re.Pattern, set[str]]:
    key = (extra_negative, extra_positive)
    if key not in _CACHE:
        negative = {_norm(w) for w in [*NEGATIVE, *extra_negative]}
        positive = {_norm(w) for w in [*POSITIVE, *extra_positive]} - negative
        _CACHE[key] = (_compile(negative | positive), negative)
    return _CACHE[key]


def _window(text: str, start: int, ascii_word: bool, floor: int) -> tuple[bool, bool]:
    """(negated, intensified) from the few characters or words before a hit (not reaching back past ``floor``,
    the end of the previous hit, nor past a punctuation mark)."""
    if ascii_word:
        before = re.findall(r"[a-z']+", re.split(r"[,.;:!?，。；：！？]", text[max(floor, start - 40):start])[-1])[-2:]
        negated = any(w in NEGATORS_EN or w.endswith("n't") for w in before)
        intensified = any(w in INTENSIFIERS_EN for w in before)
    else:
        before = re.split(r"[,.;:!?，。；：！？、\s]", text[max(floor, start - 3):start])[-1]
        negated = any(n in before for n in NEGATORS_ZH)
        intensified = any(i in before for i in INTENSIFIERS_ZH)
    return negated, intensified


def score_text(text: object, extra_negative: Sequence[str] = (), extra_positive: Sequence[str] = ()) -> tuple[
        float, list[str]]:
    """``(negativity, hits)`` of one text; hits are the words found, negated ones prefixed with ``not ``."""
    pattern, negative = _lexicon(tuple(extra_negative), tuple(extra_positive))
    t = _norm(text)
    n = p = 0.0
    hits = []
    floor = 0
    for m in pattern.finditer(t):
        word = " ".join(m.group(0).split())
        negated, intensified = _window(t, m.start(), word.isascii(), floor)
        floor = m.end()
        weight = 1.5 if intensified else 1.0
        is_negative = (word in negative) != negated
        if is_negative:
            n += weight
        else:
            p += weight
        hits.append(("not " if negated else "") + word)
    return (n - p) / (n + p + 1.0), hits


def negativity(texts: Iterable[object], extra_negative: Sequence[str] = (),
               extra_positive: Sequence[str] = ()) -> np.ndarray:
    """Negativity of each text (see the module notes): ``(N − P) / (N + P + 1)``."""
    return np.array([score_text(t, extra_negative, extra_positive)[0] for t in texts], dtype=float)


__all__ = ["NEGATIVE", "NEGATIVE_THRESHOLD", "POSITIVE", "negativity", "score_text"]
