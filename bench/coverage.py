"""Precision and recall of the point-by-point matcher (``replies.parsing.coverage``) on
generated proposals: pure Python, no database, a few seconds.

For each generated reply letter (``bench.synthetic.Composer``, the answer letter), a
proposal text is written whose numbered suggestions paraphrase the letter's sections —
another verb, another prefix and suffix around the section's subject, a second sentence
on a subject from the section's text, in another order — and a few suggestions on
subjects no section mentions (same field where possible: the hard case). Now and then a
suggestion quotes its section's heading word for word, and now and then the letter's
headings lose their quotation marks (so the quoted pass cannot help). Then:

- pairs: a (suggestion, section) pair is right when the section is the one the
  suggestion paraphrases; precision over the pairs the matcher gives, recall over the
  paraphrased suggestions;
- flags: a suggestion flagged unanswered (``建议N未见答复``) is right when it was one of
  the left-out ones; precision over the flags, recall over the left-out suggestions.

    python bench/coverage.py [count] [seed]
"""

import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import _ALL_CORES, PREFIXES, SUFFIXES, TOPIC_CORES, VERBS, Composer
from core.numerals import int_to_cn
from replies.parsing.coverage import ReplyPart, cover

SUGGEST_VERBS = ["着力", "大力", "积极", "尽快", "切实", "稳步", "抓紧", "全面", "持续"]
SUGGEST_ACTS = ["推动", "加快", "改进", "扩大", "加强", "规范", "做好", "提高"]
# Second sentences of a suggestion: {core} is a subject of its section (or, for a left-out
# suggestion, of nothing in the letter).
SECOND = [
    "建议由牵头部门制定{core}的具体方案，明确时间表和责任人",
    "可以借鉴外地做法，在{place}先行开展{core}试点，再逐步推开",
    "要把{core}纳入年度考核，定期通报进展情况",
    "财政应安排专门资金支持{core}，并引导社会资本参与",
    "应当听取群众意见，让{core}真正解决实际困难",
]
CAUSES = [
    "案由：近年来我市{core}工作取得了一定成效，但与群众期待相比仍有差距，主要是投入不足、"
    "统筹不够、长效机制尚未建立。",
    "案由：当前{core}方面存在短板，部门之间协同不足，基层反映问题较多，亟需加以解决。",
]
CUE = ["建议：", "为此，提出如下建议：", "具体建议如下："]
MARKERS = [
    lambda n: f"{int_to_cn(n)}、",
    lambda n: f"（{int_to_cn(n)}）",
    lambda n: f"{n}.",
    lambda n: f"{n}、",
    lambda n: f"建议{int_to_cn(n)}：",
]

_QUOTED = re.compile(r"“([^”]+)”")


@dataclass
class Case:
    text: str
    parts: list[ReplyPart]
    gold: dict[int, int]  # suggestion number -> section number it paraphrases
    left_out: set[int]  # suggestion numbers no section answers


def _subject(heading_term: str) -> str:
    """The subject (core) of a generated heading term: verb + prefix + core + suffix."""
    term = heading_term
    for verb in sorted(VERBS, key=len, reverse=True):
        if term.startswith(verb):
            term = term[len(verb) :]
            break
    for prefix in sorted(PREFIXES, key=len, reverse=True):
        if term.startswith(prefix):
            term = term[len(prefix) :]
            break
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if term.endswith(suffix):
            term = term[: -len(suffix)]
            break
    return term


def _text_subjects(text: str, own: str) -> list[str]:
    """Other subjects the section's text talks about (generated cores found in it)."""
    return [core for core in _ALL_CORES if core != own and core in text][:4]


def make_case(composer: Composer, index: int, rng: random.Random) -> Case:
    proposal = composer.proposal(index, [])
    reply = proposal.replies[0]
    topic = composer.topic
    all_text = reply.body
    parts = []
    strip_quotes = rng.random() < 0.3
    suggestions: list[tuple[str, int | None]] = []
    for section in reply.sections:
        heading = section.heading
        parts.append(
            ReplyPart(
                key=section.number,
                marker=f"{int_to_cn(section.number)}、",
                heading=heading.replace("“", "").replace("”", "") if strip_quotes else heading,
                text=section.text.split("\n\n", 1)[-1],
            )
        )
        quoted = _QUOTED.search(heading)
        term = quoted.group(1) if quoted else heading
        core = _subject(term)
        others = _text_subjects(section.text, core)
        place = composer.place()
        if rng.random() < 0.2:
            first = term  # quotes its section's heading word for word
        else:
            first = (
                rng.choice(SUGGEST_VERBS)
                + rng.choice(SUGGEST_ACTS)
                + rng.choice(PREFIXES)
                + core
                + rng.choice(SUFFIXES)
            )
        second = rng.choice(SECOND).format(core=rng.choice(others or [core]), place=place)
        suggestions.append((f"{first}。{second}。", section.number))
    # Left out: one or two suggestions on subjects of the field that no section mentions,
    # else on subjects of another field.
    field = TOPIC_CORES.get(topic, "").split()
    unused = [core for core in field if core not in all_text]
    unused = unused or [core for core in _ALL_CORES if core not in all_text]
    for _ in range(rng.choice([0, 1, 1, 2])):
        core = unused.pop(rng.randrange(len(unused)))
        first = rng.choice(SUGGEST_VERBS) + rng.choice(SUGGEST_ACTS) + core + rng.choice(SUFFIXES)
        second = rng.choice(SECOND).format(core=core, place=composer.place())
        suggestions.append((f"{first}。{second}。", None))
    # A reply answers a little out of the proposal's order; some sections answer nothing
    # the proposal asked (the department adds its own points).
    rng.shuffle(suggestions)
    if len(suggestions) > 3 and rng.random() < 0.3:
        suggestions = [s for s in suggestions if s[1] is None] + [
            s for s in suggestions if s[1] is not None
        ][:-1]
        rng.shuffle(suggestions)
    marker = rng.choice(MARKERS)
    lines = [rng.choice(CAUSES).format(core=_subject(proposal.title[2:-3])), "", rng.choice(CUE)]
    gold, left_out = {}, set()
    for number, (text, section) in enumerate(suggestions, 1):
        lines.append(marker(number) + text)
        if section is None:
            left_out.add(number)
        else:
            gold[number] = section
    return Case("\n".join(lines) + "\n", parts, gold, left_out)


def measure(count: int = 400, seed: int = 7) -> dict[str, float]:
    composer = Composer(seed)
    rng = random.Random(seed)
    cases = [make_case(composer, 9_000_000 + index, rng) for index in range(count)]
    started = time.perf_counter()
    results = [cover(case.text, case.parts) for case in cases]
    elapsed = time.perf_counter() - started
    given = right = gold_pairs = 0
    flags = right_flags = left_out = split_errors = 0
    for case, result in zip(cases, results, strict=True):
        if len(result.rows) != len(case.gold) + len(case.left_out):
            split_errors += 1
            continue
        gold_pairs += len(case.gold)
        left_out += len(case.left_out)
        for row in result.rows:
            number = row.suggestion.number
            keys = [answer.part.key for answer in row.answers]
            given += len(keys)
            right += sum(1 for key in keys if case.gold.get(number) == key)
            if not row.answered:
                flags += 1
                right_flags += number in case.left_out
    return {
        "proposals": count,
        "suggestions": gold_pairs + left_out,
        "left_out": left_out,
        "split_errors": split_errors,
        "pair_precision": right / given if given else 1.0,
        "pair_recall": right / gold_pairs if gold_pairs else 1.0,
        "flag_precision": right_flags / flags if flags else 1.0,
        "flag_recall": right_flags / left_out if left_out else 1.0,
        "seconds": elapsed,
    }


def rows(count: int = 400, seed: int = 7) -> list[tuple[str, str, str, str]]:
    """The rows ``bench/run.py`` prints (measure, result, target, command)."""
    m = measure(count, seed)
    command = f"bench/run.py coverage ({m['proposals']} generated proposals, seed {seed})"
    return [
        (
            "coverage: suggestion→section pairs (replies.parsing.coverage)",
            f"precision {m['pair_precision']:.1%}, recall {m['pair_recall']:.1%}",
            "",
            command,
        ),
        (
            "coverage: 未见答复 flags",
            f"precision {m['flag_precision']:.1%}, recall {m['flag_recall']:.1%} "
            f"({m['left_out']} of {m['suggestions']} suggestions left out)",
            "",
            command,
        ),
        (
            "coverage: split + match time",
            f"{m['seconds'] / m['proposals'] * 1000:.2f} ms/proposal"
            + (f", {m['split_errors']} split errors" if m["split_errors"] else ""),
            "",
            command,
        ),
    ]


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    for key, value in measure(count, seed).items():
        print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
