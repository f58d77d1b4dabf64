"""Quantitative targets in the planned part of a promise: 3 家, 260 万平方米, 1.18 亿元."""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .result import ParsedTarget
from .text import cn_to_int, words

# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------

_UNITS = sorted(
    words(
        "平方公里 平方千米 平方米 平米 立方米 公顷 公里 千米 米 亩 元 人次 人 名 家 个百分点 个 项 所 座 条 "
        "台 套 场 户 间 张 床 辆 吨 千瓦 兆瓦 处 支 棵 株 种 篇 件 位 栋 批 期 次 % 万 亿"
    ),
    key=len,
    reverse=True,
)
_UNIT_ALT = "|".join(re.escape(u) for u in _UNITS if u not in ("万", "亿"))
# 3家 / 260万平方米以上 / 30家以上 / 1.5亿元 / 90%: 万/亿 stay part of the unit.
_NOT_A_COUNT = r"(?!\s*(?:月|工作日|小时|季度|年|星期|周))"
_QUANTITY_RE = re.compile(
    r"(?<![\d.,A-Za-z第〔\[【])(?P<n>\d{1,3}(?:,\d{3})+|\d++(?:\.\d++)?)\s*(?:[余多]\s*)?"
    r"(?P<unit>(?:[万亿])?(?:" + _UNIT_ALT + r"))" + _NOT_A_COUNT
)
# Chinese numerals are only trusted right after a verb of building or reaching
# ("新建三所学校", "新增两家孵化器"); elsewhere 一/十 are parts of ordinary words.
_CN_QUANTITY_RE = re.compile(
    r"(?:新增|新建|建设|建成|培育|引进|打造|达到|完成|增加|增至|实施|开展|举办|组织|改造|创建|"
    r"培训|招聘|认定|争创|设立|、)"
    r"(?P<n>[两二三四五六七八九十百千][一二两三四五六七八九十百千]{0,5})\s*(?:[余多]\s*)?"
    r"(?P<unit>(?:[万亿])?(?:" + _UNIT_ALT + r"))" + _NOT_A_COUNT
)
# Possessive \d++ below: a long digit run must not be retried at every shorter length.
# Clauses end at , ; : and stops, but not at the comma of a thousands separator (1,000).
_CLAUSE_SPLIT_RE = re.compile(r"[;:。!?]|(?<!\d),|,(?!\d{3}(?!\d))")
_LEAD_WORDS_RE = re.compile(
    r"(?:[一二三四五六七八九十]+是|同时|此外|另外|下一步|今后|我们|我局|我委|我市|我县|我区|将|力争|"
    r"争取|计划|确保|预计|拟|并|还|再|要|,|、|\s|"
    # the time it is due by: 于2022年10月底前 / 今年 / 年内
    r"于|在|到|(?:19|20)\d{2}\s*年|今年|明年|年内|年底|\d{1,2}\s*月|底前|月底|前)+"
)


def extract_targets(orig: str, norm: str, deadline: date | None) -> list[ParsedTarget]:
    """Quantities promised in one planned sentence (orig and norm have the same length)."""
    targets: list[ParsedTarget] = []
    clause_start = 0
    bounds = [m.start() for m in _CLAUSE_SPLIT_RE.finditer(norm)] + [len(norm)]
    for bound in bounds:
        clause = norm[clause_start:bound]
        hits = sorted(
            [*_QUANTITY_RE.finditer(clause), *_CN_QUANTITY_RE.finditer(clause)],
            key=lambda m: m.start("n"),
        )
        if hits:
            # Several quantities in one clause are an enumeration ("孵化器3家、省级20家"):
            # each target then names its own 、-segment; a single one names the clause.
            segments = _segments(clause) if len(hits) > 1 else [(0, len(clause))]
            seg_starts = [start for start, _end in segments]
            first_text = ""
            for hit in hits:
                quantity = _quantity(hit.group("n"))
                if quantity is None or quantity <= 0 or _is_location(clause, hit):
                    continue
                k = bisect_right(seg_starts, hit.start("n")) - 1
                seg_start, seg_end = segments[k] if k >= 0 else (0, len(clause))
                text = _target_text(orig, norm, clause_start + seg_start, clause_start + seg_end)
                if first_text and k > 0:
                    text = _complete_elided(text, first_text)
                elif not first_text:
                    first_text = text
                targets.append(
                    ParsedTarget(
                        text=text, quantity=quantity, unit=hit.group("unit"), deadline=deadline
                    )
                )
        clause_start = bound + 1
    return targets


# '距高速出口2公里处' places a thing; it is not a quantity to reach.
_LOCATION_BEFORE_RE = re.compile(r"距|离")


def _is_location(clause: str, hit: re.Match[str]) -> bool:
    if hit.group("unit") != "处" and clause[hit.end() : hit.end() + 1] == "处":
        return True
    return bool(_LOCATION_BEFORE_RE.search(clause, max(0, hit.start() - 10), hit.start()))


def _quantity(token: str) -> Decimal | None:
    if token[0].isdigit():
        try:
            return Decimal(token.replace(",", ""))
        except InvalidOperation:
            return None
    value = cn_to_int(token)
    return Decimal(value) if value is not None else None


def _segments(clause: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    depth = 0
    for i, ch in enumerate(clause):
        if ch in "“《(":
            depth += 1
        elif ch in "”》)" and depth:
            depth -= 1
        elif ch == "、" and not depth:
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(clause)))
    return spans


# The verbs a promised quantity starts with (新增国家级科技企业孵化器3家).
_LEAD_VERB_RE = re.compile(
    r"(?:新增|新建|建设|建成|培育|引进|打造|创建|争创|认定|设立|增加|完成|实施|开展|改造)"
)
_NUMBER_RE = re.compile(
    r"\d|[两二三四五六七八九十百千]+\s*(?:[余多]\s*)?(?:[万亿])?(?:" + _UNIT_ALT + ")"
)


def _complete_elided(text: str, first: str) -> str:
    """An enumeration's later item that leaves out what the first one names: in
    "新增国家级科技企业孵化器3家、省级20家" the second item is "新增省级科技企业孵化器20家".

    The later item's qualifier (省级) takes the place of the first item's (国家级) when
    both end in the same character (级, 类, 型 ...); otherwise the item stays as written.
    """
    number = _NUMBER_RE.search(text)
    if number is None or number.start() == 0 or number.start() > 6:
        return text
    qualifier = text[: number.start()]
    first_number = _NUMBER_RE.search(first)
    head = first[: first_number.start()] if first_number else first
    if qualifier in head:
        return text
    verb = _LEAD_VERB_RE.match(head)
    rest = head[verb.end() :] if verb else head
    # The first item's qualifier: up to the first occurrence of the character that ends
    # the later item's (国家级 for 省级).
    end = rest.find(qualifier[-1])
    if end < 0 or end == len(rest) - 1:
        return text
    return (verb.group() if verb else "") + qualifier + rest[end + 1 :] + text[number.start() :]


def _target_text(orig: str, norm: str, start: int, end: int) -> str:
    lead = _LEAD_WORDS_RE.match(norm, start, end)
    if lead and lead.end() < end:
        start = lead.end()
    return orig[start:end].strip()


# ---------------------------------------------------------------------------
# Reading a target back: "全市孵化面积 260万平方米以上"
# ---------------------------------------------------------------------------

_QUALIFIER = r"(?:以上|左右|以内|以下|余|多)?"
# Verbs that only link a measure to its amount: 孵化面积达到260万平方米 reads 孵化面积 260万平方米.
_LINK_TAIL_RE = re.compile(r"(?:达到|达|增至|增加到|提高到|提升到|超过|突破|不少于|不低于|至|到)$")


def plain_number(value: Decimal) -> str:
    """20 for Decimal("20.00") (never "2E+1"), 1.5 for "1.50"."""
    figure = format(value, "f")
    if "." in figure:
        figure = figure.rstrip("0").rstrip(".")
    return figure


@lru_cache(maxsize=4096)
def target_phrase(text: str, quantity: Decimal, unit: str) -> tuple[str, str]:
    """``(what, amount)``: a stored target read as people write it, e.g.
    ("建设众创空间", "30家以上") for "建设30家以上创新与创业相结合……的众创空间".

    The amount keeps the figure as the letter wrote it (1,000 / 三) with its unit and any
    qualifier (以上, 左右); what is promised is the text around it, without a linking verb
    (达到) and, when the amount sits inside a long description, with the noun after its
    last 的. A text that does not hold the amount is returned whole beside the figure.
    """
    figure = plain_number(quantity)
    written = [re.escape(figure)]
    if quantity == quantity.to_integral_value() and quantity >= 1000:
        written.insert(0, re.escape(f"{int(quantity):,}"))
    pattern = re.compile(
        r"(?P<n>"
        + "|".join(written)
        + r"|[两二三四五六七八九十百千][一二两三四五六七八九十百千]{0,5})"
        + r"\s*(?P<pre>[余多])?\s*"
        + re.escape(unit)
        + r"(?P<q>"
        + _QUALIFIER
        + ")"
    )
    match = pattern.search(text) if unit else None
    if match is None:
        return text.strip(), f"{figure}{unit}"
    amount = f"{match.group('n')}{match.group('pre') or ''}{unit}{match.group('q')}"
    before = _LINK_TAIL_RE.sub("", text[: match.start()].strip()).strip()
    after = text[match.end() :].strip()
    if "的" in after:
        after = after.rsplit("的", 1)[1]
    what = (before + after).strip(" ,，、")
    return (what or text.strip()), amount
