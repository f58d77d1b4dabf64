"""Point-by-point coverage (逐条答复): a proposal's own text split into its numbered
suggestions, and each suggestion matched to the reply sections and promises that answer it.

A proposal's text states its cause (案由) and then its suggestions, numbered in one of the
usual families: ``一、`` / ``（一）`` / ``1.`` ``1、`` / ``（1）`` ``1）`` / ``一是`` /
``第一，`` / ``建议一：``. ``split_suggestions`` finds where the suggestions begin (a
line such as ``建议：``, ``二、对策建议``, ``为此，提出如下建议：``; else the whole text)
and takes, of the marker families found there, the one that starts first and counts
1, 2, 3… in order — the outermost list, whatever its style.

``match`` pairs each suggestion with the reply's sections, in two passes:

1. quoted headings: a section heading that quotes the suggestion (一、关于“加大科技创新投入”)
   answers the suggestion whose text holds that quote, or nearly all of its characters;
2. text similarity: character bigrams of the suggestion against each section's heading and
   text, each bigram weighted by how rare it is among the sections (a bigram every section
   uses — 我们, 加强 — says nothing), with a floor below which the suggestion is taken as
   unanswered, and a promise-by-promise pass for a suggestion no section reaches; among a
   suggestion's sections, one that answers another suggestion better counts a little less.

A suggestion no pass reaches is flagged (``建议4未见答复``). Pure Python, no Django.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from .result import ParsedSection
from .text import cn_to_int, normalize, words

# --- splitting ------------------------------------------------------------------------

_CN = "一二三四五六七八九十"
# Where a marker may stand: at the start of a line, or after a sentence or clause ends
# (an enumeration run into one paragraph: 建议：1.…；2.…).
_LEAD = r"(?:(?<=\n)|^|(?<=[。;:!?]))[ ]*"
_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("jianyi", re.compile(_LEAD + rf"建议(?P<n>[{_CN}]{{1,3}}|\d{{1,2}})[ ]*[:、.,]?")),
    ("cn", re.compile(_LEAD + rf"(?P<n>[{_CN}]{{1,3}})[ ]*[、.,](?![{_CN}]、)")),
    ("cn_paren", re.compile(_LEAD + rf"\((?P<n>[{_CN}]{{1,3}})\)[ ]*[、.]?")),
    ("di", re.compile(_LEAD + rf"第(?P<n>[{_CN}]{{1,3}})[ ]*[,、:]")),
    ("shi", re.compile(_LEAD + rf"(?P<n>[{_CN}]{{1,3}})是(?=[^\s,.:;、。])")),
    # 1. but not the decimal 1.5
    ("ar", re.compile(_LEAD + r"(?P<n>\d{1,2})[ ]*(?:[、]|\.(?!\d))")),
    ("ar_paren", re.compile(_LEAD + r"\(?(?P<n>\d{1,2})\)[ ]*[、.]?")),
    ("circled", re.compile(_LEAD + r"(?P<n>[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮])")),
)
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮"

# Where the suggestions begin: a line that ends with 建议/对策/措施 and a colon, a short
# heading line about suggestions (二、对策建议, 几点建议), or 建议如下 in a sentence.
_START_RES = (
    re.compile(r"(?:建议|对策|措施|意见|办法)(?:如下)?[ ]*:[ ]*(?=\n|$|\S)"),
    # A heading line, not the title (关于…的建议 names the proposal).
    re.compile(
        r"(?m)^[ ]*(?:[" + _CN + r"]{1,3}[、.]|\([" + _CN + r"]{1,3}\))?(?![ ]*关于)[^\n。]{0,10}"
        r"(?:建议|对策|措施)[ ]*$"
    ),
)

MAX_CUES = 20
# A suggestion's heading: its first sentence or clause, at most this long.
HEADING_MAX = 60


@dataclass(frozen=True)
class Suggestion:
    number: int  # 1, 2, 3… in the order written (the marker's own number)
    marker: str  # as written (一、 / （二） / 3.)
    heading: str  # the first sentence or clause
    text: str  # the whole suggestion, marker excluded


@dataclass(frozen=True)
class ProposalText:
    cause: str  # everything before the suggestions (案由, the problem)
    suggestions: tuple[Suggestion, ...]


def _number(family: str, token: str) -> int | None:
    if family == "circled":
        return _CIRCLED.index(token) + 1
    if token.isdigit():
        return int(token)
    return cn_to_int(token)


def _run(family: str, matches: list[re.Match[str]]) -> list[re.Match[str]]:
    """The markers of one family that count 1, 2, 3… in order (others are skipped: a
    ``2.`` inside item 1's text is not the second item unless it comes after a 1)."""
    run: list[re.Match[str]] = []
    for m in matches:
        if _number(family, m.group("n")) == len(run) + 1:
            run.append(m)
    return run


def _suggestions_start(norm: str) -> int:
    """Where the suggestions begin: after the first cue followed by a numbered list."""
    cues = sorted(m.end() for regex in _START_RES for m in regex.finditer(norm))
    found = [(family, list(regex.finditer(norm))) for family, regex in _FAMILIES]
    # The first few cues only: the cue comes before the list, and a text made of cues
    # must not cost a pass over the text per cue.
    for cue in cues[:MAX_CUES]:
        for family, matches in found:
            if len(_run(family, [m for m in matches if m.start() >= cue])) >= 2:
                return cue
    return 0


def split_suggestions(text: str) -> ProposalText:
    """The proposal's cause and its numbered suggestions (none when it numbers nothing:
    the whole text is then one unnumbered suggestion, see ``suggestions_of``)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    norm = normalize(text)
    start = _suggestions_start(norm)
    best: tuple[int, str, list[re.Match[str]]] | None = None
    for family, regex in _FAMILIES:
        run = _run(family, list(regex.finditer(norm, start)))
        if len(run) < 2:
            continue
        first = run[0].start("n")
        if best is None or first < best[0]:
            best = (first, family, run)
    if best is None:
        return ProposalText(cause=text.strip(), suggestions=())
    _first, _family, run = best
    items = []
    for position, m in enumerate(run):
        end = run[position + 1].start() if position + 1 < len(run) else _tail(norm, m.end())
        body = text[m.end() : end].strip()
        marker = text[m.start() : m.end()].strip()
        items.append(
            Suggestion(number=position + 1, marker=marker, heading=_heading(body), text=body)
        )
    cause = _CUE_TAIL.sub("", text[: run[0].start()].rstrip())
    return ProposalText(cause=cause.strip(), suggestions=tuple(items))


# The cue that introduced the suggestions (建议：) is not part of the cause.
_CUE_TAIL = re.compile(r"(?:[^\n。：:]{0,12}(?:建议|对策|措施|意见|办法)(?:如下)?[ 　]*[:：])$")


# What follows the last suggestion: the proposer's contact and signature lines, or a
# closing paragraph after a blank line (the last suggestion's own paragraphs end in 。).
_TAIL_RE = re.compile(
    r"\n[ ]*(?:联系人|联系电话|联系方式|提案人|领衔人|附议人|附件|以上建议|以上意见|妥否)"
    r"|(?<=[。!?])[ ]*\n[ ]*\n(?=[ ]*(?:以上|特此|妥否|此致|恳请|望|请))"
)


def _tail(norm: str, start: int) -> int:
    """Where the last suggestion ends."""
    m = _TAIL_RE.search(norm, start)
    return m.start() if m else len(norm)


_SENTENCE_END = re.compile(r"[。;!?\n]|[:](?=\S)")


def _heading(body: str) -> str:
    m = _SENTENCE_END.search(normalize(body))
    head = body[: m.start()] if m else body
    return head.strip()[:HEADING_MAX]


# --- matching -------------------------------------------------------------------------

# A quoted heading answers a suggestion when at least this share of the quote's bigrams
# is in the suggestion's text (the quote is the suggestion's own words, give or take a
# character or two of the department's editing).
QUOTE_MIN = 0.8
# Quotes shorter than this (in characters) say too little to count as a quotation.
QUOTE_MIN_CHARS = 4
# A section answers a suggestion when its score (``_score``: weighted bigram shares, 0 =
# nothing shared, 1 = everything) reaches this; below it for every section, the suggestion
# is unanswered. Chosen on generated proposals of another seed than the one
# ``bench/run.py coverage`` reports, and on the hand-written cases of the tests: there,
# paraphrased suggestions score 0.13–0.7 against their section, left-out ones below 0.07.
# Lower finds more pairs and misses more omissions; higher flags answered suggestions.
SIMILAR_MIN = 0.12
# A single promise answers a suggestion no section reaches when it scores at least this
# (a promise is one sentence, so its share must be higher to count).
PROMISE_MIN = 0.3
# How much the heading counts against the text in ``_score`` (1 = as much): a heading
# names what the section answers, but departments often word it their own way.
HEADING_WEIGHT = 1.0

# Bigrams of the genre that say nothing about the subject (the rarity weighting handles
# the rest, but a reply of two sections has too few documents to learn these).
_GENERIC = frozenset(
    words(
        "关于 建议 我们 我市 全市 本市 进一步 一步 下一 加强 加大 推进 推动 完善 提升 提高 "
        "工作 相关 部门 积极 持续 不断 继续 支持 鼓励 开展 实施 落实 建立 健全 机制 政策 "
        "有关 方面 问题 进行 加快 发展 建设 力度 以上 上述 做好 强化 努力 切实 有效 "
        "情况 目前 今年 去年 年底 将在 确保 重点 主要 各类 各级 一是 二是 三是 四是 "
        "提出 意见 答复 委员 感谢"
    )
)
_GENERIC_BIGRAMS = frozenset(word[i : i + 2] for word in _GENERIC for i in range(len(word) - 1))
# Function characters: a bigram holding one (的垃, 和运, 又混) straddles two words and
# says nothing about the subject.
_FUNCTION_CHARS = frozenset("的了和与及或在对把被将为是也又并其之而从向于以让要就都这那些个")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")
_QUOTE_RE = re.compile(r"[“\"「『]([^“”\"「」『』]{2,80})[”\"」』]")


def bigrams(text: str) -> Counter[str]:
    """Character bigrams of the Chinese runs (and ASCII words) of ``text``, without the
    genre's empty ones; punctuation breaks a run."""
    grams: Counter[str] = Counter()
    for run in _CJK_RUN.findall(normalize(text or "").lower()):
        if len(run) == 1 or run.isascii():
            continue
        for i in range(len(run) - 1):
            gram = run[i : i + 2]
            if gram not in _GENERIC_BIGRAMS and not (_FUNCTION_CHARS & set(gram)):
                grams[gram] += 1
    return grams


@dataclass(frozen=True)
class ReplyPart:
    """A part of a reply that may answer a suggestion: a numbered section (or a derived
    one) with its promises. ``key`` is the caller's (a commitment's pk, a section number)."""

    key: Hashable
    marker: str
    heading: str
    text: str
    promises: tuple[str, ...] = ()
    source: str = ""  # whose reply (a department's name), for display


@dataclass(frozen=True)
class Answer:
    part: ReplyPart
    how: str  # "quoted" | "similar" | "promise"
    score: float
    promises: tuple[str, ...] = ()  # the part's promises that bear on the suggestion


@dataclass(frozen=True)
class Coverage:
    suggestion: Suggestion
    answers: tuple[Answer, ...] = field(default=())

    @property
    def answered(self) -> bool:
        return bool(self.answers)


def _quotes(heading: str) -> list[str]:
    found = [q.strip() for q in _QUOTE_RE.findall(normalize(heading or ""))]
    return [q for q in found if len(q) >= QUOTE_MIN_CHARS]


def _share(part: Counter[str], whole: Counter[str], weight: dict[str, float]) -> float:
    """The weighted share of ``part``'s bigrams that ``whole`` holds."""
    total = sum(weight.get(g, 1.0) for g in part)
    if not total:
        return 0.0
    return sum(weight.get(g, 1.0) for g in part if g in whole) / total


def _weights(documents: Iterable[Counter[str]]) -> dict[str, float]:
    """Inverse document frequency (smoothed) of every bigram over the documents."""
    docs = list(documents)
    seen: Counter[str] = Counter()
    for doc in docs:
        seen.update(doc.keys())
    n = len(docs)
    return {gram: math.log((n + 1) / (count + 0.5)) + 0.1 for gram, count in seen.items()}


def _score(
    grams: Counter[str], heading: Counter[str], text: Counter[str], weight: dict[str, float]
) -> float:
    """How well a section answers a suggestion: the share of the section's heading that
    the suggestion speaks of (a heading names what is answered), averaged with the share
    of the suggestion that the section's text speaks of, or that share alone if higher."""
    body = _share(grams, text, weight)
    if not heading:
        return body
    named = _share(heading, grams, weight)
    # A heading the department wrote in words of its own must not pull a good text down.
    return max(body, (HEADING_WEIGHT * named + body) / (HEADING_WEIGHT + 1))


def match(suggestions: Sequence[Suggestion], parts: Sequence[ReplyPart]) -> list[Coverage]:
    """Each suggestion with the parts that answer it (best first); none when unanswered."""
    head_grams = [bigrams(p.heading) for p in parts]
    text_grams = [bigrams(p.text) for p in parts]
    promise_grams = [[bigrams(t) for t in p.promises] for p in parts]
    documents = [h + t for h, t in zip(head_grams, text_grams, strict=True)]
    weight = _weights(documents + [bigrams(s.text) for s in suggestions])
    quotes = [[(q, bigrams(q)) for q in _quotes(part.heading)] for part in parts]
    found: list[tuple[Suggestion, list[Answer]]] = []
    for suggestion in suggestions:
        grams = bigrams(suggestion.text)
        folded = normalize(suggestion.text)
        answers: list[Answer] = []
        for index, part in enumerate(parts):
            quoted = [
                q
                for q, q_grams in quotes[index]
                if q in folded or _share(q_grams, grams, weight) >= QUOTE_MIN
            ]
            score = _score(grams, head_grams[index], text_grams[index], weight)
            promises = tuple(
                text
                for text, pg in zip(part.promises, promise_grams[index], strict=True)
                if _share(grams, pg, weight) >= PROMISE_MIN / 2
            )
            if quoted:
                answers.append(Answer(part, "quoted", 1.0, promises or part.promises))
            elif score >= SIMILAR_MIN:
                answers.append(Answer(part, "similar", round(score, 3), promises))
        if not answers:
            for index, part in enumerate(parts):
                bearing = tuple(
                    text
                    for text, pg in zip(part.promises, promise_grams[index], strict=True)
                    if _share(grams, pg, weight) >= PROMISE_MIN
                )
                if bearing:
                    answers.append(Answer(part, "promise", PROMISE_MIN, bearing))
        found.append((suggestion, answers))
    # A part that answers another suggestion better counts a little less for this one:
    # a reply usually gives each suggestion a section of its own.
    owner: dict[int, float] = {}
    for _suggestion, answers in found:
        for answer in answers:
            owner[id(answer.part)] = max(owner.get(id(answer.part), 0.0), answer.score)
    result = []
    for suggestion, answers in found:
        weighed = [
            answer
            if answer.how != "similar" or answer.score >= owner[id(answer.part)]
            else Answer(
                answer.part, answer.how, round(answer.score * SHARED_PART, 3), answer.promises
            )
            for answer in answers
        ]
        result.append(Coverage(suggestion=suggestion, answers=tuple(_best(weighed))))
    return result


# A part below the best one found for a suggestion is dropped unless it scores at least
# this share of the best: the best answers it, the others mostly share its vocabulary
# (1.0 keeps the best only; lower finds more of the right pairs and more wrong ones).
RUNNER_UP_SHARE = 0.9
# A part scores this share of its score for a suggestion when it answers another
# suggestion better (replies usually give each suggestion a section of its own). It only
# chooses among a suggestion's parts: one that reached ``SIMILAR_MIN`` still answers it,
# so a section answering two suggestions answers both. 0.8 (chosen on seed 3, 1.0 = off)
# adds about 3 points of pair precision and 2 of recall on the generated proposals.
SHARED_PART = 0.8


def _best(answers: list[Answer]) -> list[Answer]:
    if not answers:
        return []
    quoted = [a for a in answers if a.how == "quoted"]
    if quoted:
        return quoted
    top = max(a.score for a in answers)
    kept = [a for a in answers if a.score >= top * RUNNER_UP_SHARE]
    return sorted(kept, key=lambda a: -a.score)


@dataclass(frozen=True)
class ProposalCoverage:
    """A proposal text against a reply: the cause, each suggestion with its answers."""

    cause: str
    rows: tuple[Coverage, ...]

    @property
    def unanswered(self) -> tuple[Suggestion, ...]:
        return tuple(row.suggestion for row in self.rows if not row.answered)

    @property
    def numbered(self) -> bool:
        return bool(self.rows)


def cover(text: str, parts: Sequence[ReplyPart]) -> ProposalCoverage:
    """``split_suggestions`` then ``match``: the whole comparison of a proposal's text."""
    parsed = split_suggestions(text)
    return ProposalCoverage(cause=parsed.cause, rows=tuple(match(parsed.suggestions, parts)))


def parts_of_sections(sections: Iterable[ParsedSection], *, source: str = "") -> list[ReplyPart]:
    """Reply parts from the parser's ``ParsedSection``s (the import preview)."""
    return [
        ReplyPart(
            key=section.number,
            marker=section.marker if not section.derived else "",
            heading=section.heading or "",
            text=section.text,
            promises=tuple(promise.text for promise in section.promises),
            source=source,
        )
        for section in sections
    ]
