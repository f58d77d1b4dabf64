"""Has the problem come back? (重复提出) — how alike two proposals are, in pure functions.

A proposal repeats an earlier one when the same committee receives it in a later session
with a similar title and text. Both are compared as sets of the search index's tokens
(``proposals.search.tokenize``: overlapping two-character tokens), so no model, no
dictionary and no remote service is involved, and the result is the same on every run.

What is compared:
- the title, without the words every title has (关于…的建议, 加强, 进一步 …): they would
  make any two proposals look alike;
- the text: the headings of the published replies' sections, which quote or restate the
  proposal's suggestions (关于“扩大普惠托育供给”); a proposal without a published reply
  is compared by its title alone.

The score is the Dice coefficient of the token sets (twice the shared tokens over the sum
of both sizes): paraphrased titles of one subject share most of their content pairs
(老旧小区, 加装电梯), unrelated ones of the same field share one or two (农村). The
thresholds were set on ``bench/run.py repeats`` (generated repeats and same-field
decoys); docs/performance.md has its precision and recall.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from proposals.search import normalize, tokenize

# Words of the proposal genre rather than of its subject, longest first so that 的建议 goes
# before 建议. Each is cut out (leaving a gap, so no token spans the cut).
BOILERPLATE = sorted(
    {
        "关于",
        "的建议",
        "的提案",
        "的意见",
        "建议",
        "提案",
        "意见",
        "进一步",
        "持续",
        "切实",
        "加快",
        "加强",
        "加大",
        "推进",
        "推动",
        "促进",
        "完善",
        "提升",
        "提高",
        "做好",
        "优化",
        "强化",
        "健全",
        "我市",
        "全市",
        "我省",
        "全省",
        "工作",
        "问题",
        "有关",
        "相关",
        "演示数据",
    },
    key=len,
    reverse=True,
)
_BOILERPLATE = re.compile("|".join(map(re.escape, BOILERPLATE)))

# From this score the titles alone make a repeat. A paraphrase keeps most content pairs;
# two titles of one field sharing a four-character word (老旧小区停车难 / 老旧小区加装电梯)
# score 0.46, since the word gives three overlapping pairs. On the generated set 0.4 let
# such decoys in (98.9% precision) for 5 points more recall; 0.5 let none in.
TITLE_THRESHOLD = 0.5
# With texts on both sides: the title weighs this much, the texts the rest, and the
# combined score must reach REPEAT_THRESHOLD. Texts are long and varied, so they share a
# smaller part even when the subject is the same: they confirm a borderline title (or
# rule out a title that is alike by chance) more than they decide alone.
TITLE_WEIGHT = 0.5
REPEAT_THRESHOLD = 0.35
# Candidates must share this many content pairs of the title (the most sharing first, a
# bounded number of them: replies.services.repeats). One is enough: a paraphrased title
# may keep a single word of the subject and its text then decides (2 lost a tenth of the
# generated repeats).
MIN_SHARED_TOKENS = 1


@dataclass(frozen=True)
class Fingerprint:
    """What a proposal is compared by: its title's and its text's content tokens."""

    title: frozenset[str]
    text: frozenset[str]


def content_tokens(text: str) -> frozenset[str]:
    """The two-character tokens of ``text`` without the genre's words; words of letters
    and digits are kept whole (5G, 12345)."""
    stripped = _BOILERPLATE.sub(" ", normalize(text))
    return frozenset(token for token in tokenize(stripped) if len(token) > 1)


def fingerprint(title: str, texts: Iterable[str] = ()) -> Fingerprint:
    return Fingerprint(
        title=content_tokens(title), text=content_tokens("\n".join(text for text in texts))
    )


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """How alike two proposals are, 0 to 1 (see the module's docstring)."""
    title = dice(a.title, b.title)
    if not a.text or not b.text:
        return title
    return TITLE_WEIGHT * title + (1 - TITLE_WEIGHT) * dice(a.text, b.text)


def is_repeat(a: Fingerprint, b: Fingerprint) -> tuple[bool, float]:
    """Whether ``a`` and ``b`` are about the same problem, and the score that says so."""
    score = similarity(a, b)
    if not a.text or not b.text:
        return score >= TITLE_THRESHOLD, score
    return score >= REPEAT_THRESHOLD, score


def session_key(*, year: int | None, term: int, meeting: int) -> tuple[int, int, int]:
    """Sessions of one committee in time order: by year where known, then term and
    meeting (a session that names neither comes by its year before the named ones of it)."""
    return (year or 0, term, meeting)


def is_earlier(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Whether session key ``a`` is strictly before ``b``. Years compare only where both
    are known; named sessions compare by term and meeting whatever their years."""
    (year_a, term_a, meeting_a), (year_b, term_b, meeting_b) = a, b
    if term_a and term_b:
        return (term_a, meeting_a) < (term_b, meeting_b)
    if year_a and year_b:
        return year_a < year_b
    return False
