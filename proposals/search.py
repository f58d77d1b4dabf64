"""Chinese full-text search: one tokeniser for documents and queries.

Chinese has no spaces, so PostgreSQL's parsers see a whole clause as one word. Each run
of Chinese characters becomes its overlapping two-character tokens plus its last
character (科技创新 → 科技 技创 创新 新); letters and digits become lower-case words.
A query is tokenised the same way and searched as a phrase, so it matches exactly the
texts that contain it, as substring matching would (measured in the public-pages
issue: segmenting with jieba missed 创客人才 for 人才 and over-matched phrases).
The trailing single character lets one-character queries and run boundaries match:
a query's edge runs become prefix tokens (才 → 才:*), which match 才X or a final 才.

A word of letters and digits is also indexed by each of its proper suffixes, marked with
``~`` (189 → 189, ~89, ~9, at one position), so that a query's word matches inside a
word as substring matching would: 89号 finds 第189号 (~89 then 号), G基站 finds 5G基站.
Where the query's word is closed on the left (a Chinese character before it) only whole
words match, so 号89 does not find 号189.

Tokens are written straight into a ``tsvector`` literal (no parser, no locale), stored
in ``Proposal.search_vector`` with a GIN index, on PostgreSQL only; SQLite falls back to
substring matching over the same public text.
"""

import re
import unicodedata
from collections.abc import Iterable
from operator import add

from django.contrib.postgres.search import SearchVectorField
from django.db import connection
from django.db.models import F, Lookup, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import mark_safe

from proposals.models import Proposal

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_TOKEN_RUN = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
# PostgreSQL keeps positions up to 16383 and 256 per lexeme; longer texts lose phrase
# precision past that point rather than failing.
MAX_POSITION = 16383
MAX_QUERY_LENGTH = 100
# Searches and lists count and facet at most this many matches (see first_matches), and
# rank the first RANK_LIMIT of them: each ranked match or confirmed phrase match reads a
# vector of about 18 kB back (docs/performance.md has the measurements).
MATCH_LIMIT = 1000
PHRASE_MATCH_LIMIT = 200
RANK_LIMIT = 200
_POSITIONS = [str(position) for position in range(1, MAX_POSITION + 1)]


# Full-width ASCII and the ideographic space fold as NFKC folds them; done first with a
# table because NFKC itself is slow on long Chinese texts, and most are normalised after it.
_WIDE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def normalize(text: str) -> str:
    """Full-width letters, digits and punctuation fold to half-width (NFKC); case folds."""
    text = text.translate(_WIDE)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def _runs(text: str) -> Iterable[tuple[str, bool]]:
    for match in _TOKEN_RUN.finditer(normalize(text)):
        if match.group(1):
            yield match.group(1), True
        else:
            yield match.group(2), False


def tokenize(text: str) -> list[str]:
    """The token stream of a document; the list index is the token's position."""
    tokens: list[str] = []
    extend, append = tokens.extend, tokens.append
    for cjk, word in _TOKEN_RUN.findall(normalize(text)):
        if cjk:
            # Overlapping pairs (map over the run and the run shifted by one runs in C).
            extend(map(add, cjk, cjk[1:]))
            append(cjk[-1])
        else:
            append(word[:60])
    return tokens


# The mark of a word's proper suffix in the index: not a word character, so no token
# of a text is ever one.
SUFFIX = "~"
# PostgreSQL refuses a tsvector whose lexemes take more than 1 MiB ("string is too long for
# tsvector"); a text that would need more is indexed up to this many bytes of lexemes.
MAX_LEXEME_BYTES = 1_000_000
_CJK_CHAR = re.compile(rf"[{_CJK}]")


def vector_of(text: str) -> tuple[str, bool]:
    """A tsvector in its text form, built from ``tokenize`` (tokens never need quoting),
    and whether it holds the whole text: a text past PostgreSQL's limit is indexed up to
    the token where the limit would be crossed (and False says so)."""
    positions: dict[str, list[str]] = {}
    get = positions.get
    size = 0
    complete = True
    # zip stops at MAX_POSITION; positions are kept as text, ready to join.
    for position, token in zip(_POSITIONS, tokenize(text), strict=False):
        lexemes = [token]
        if len(token) > 1 and (token.isascii() or not _CJK_CHAR.match(token)):
            lexemes += [SUFFIX + token[start:] for start in range(1, len(token))]
        # What PostgreSQL counts against the limit: each lexeme's bytes (aligned to two),
        # its count of positions and its positions, two bytes each.
        grown = size
        for lexeme in lexemes:
            places = get(lexeme)
            if places is None:
                grown += len(lexeme.encode("utf-8")) + 5
            elif len(places) < 256:
                grown += 2
        if grown > MAX_LEXEME_BYTES:
            complete = False
            break
        size = grown
        for lexeme in lexemes:
            places = get(lexeme)
            if places is None:
                positions[lexeme] = [position]
            elif places[-1] != position:
                places.append(position)
    literal = " ".join(
        f"'{token}':{','.join(places if len(places) <= 256 else places[:256])}"
        for token, places in positions.items()
    )
    return literal, complete


def tsvector_literal(text: str) -> str:
    """The tsvector of ``vector_of`` (within PostgreSQL's limit whatever the text)."""
    return vector_of(text)[0]


_NUMBER_QUERY = re.compile(r"^第?\s*([a-z]{0,3}\d[a-z0-9/\-]{0,20})\s*号?$")


def number_of(query: str) -> str | None:
    """The proposal number a query consists of (89, 第89号, D022, 269/2), or None."""
    match = _NUMBER_QUERY.match(normalize(query).strip())
    return match.group(1) if match else None


def query_terms(query: str) -> list[str]:
    """Whitespace separates terms (all must match); each term is matched as a phrase."""
    return [term for term in normalize(query)[:MAX_QUERY_LENGTH].split() if _TOKEN_RUN.search(term)]


def term_tsquery(term: str) -> str:
    """The tsquery of one term, mirroring the document positions of ``tokenize``."""
    runs = list(_runs(term))
    parts: list[str] = []
    for index, (run, is_cjk) in enumerate(runs):
        last = index == len(runs) - 1
        if not is_cjk:
            word = run[:60]
            # A query's last word may be the start of a longer word in the text; its first
            # word the end of one (a word's suffixes are indexed with SUFFIX before them).
            whole = f"'{word}':*" if last else f"'{word}'"
            if index == 0:
                suffix = f"'{SUFFIX}{word}':*" if last else f"'{SUFFIX}{word}'"
                whole = f"({whole} | {suffix})"
            parts.append(whole)
        elif len(run) == 1:
            # At the query's end the text's run may go on (才 in 人才队伍): match a prefix.
            # Anywhere else a non-Chinese token follows, so the text's run ends here too and
            # has this character as its trailing token: an exact match is enough (and far
            # cheaper than a prefix, as in 第89号).
            parts.append(f"'{run}':*" if last else f"'{run}'")
        else:
            parts.extend(f"'{run[i : i + 2]}'" for i in range(len(run) - 1))
            if not last:
                parts.append(f"'{run[-1]}'")
    return " <-> ".join(parts)


def to_tsquery(query: str) -> str:
    """All terms joined with AND; an empty string when the query has no searchable text."""
    return " & ".join(f"({term_tsquery(term)})" for term in query_terms(query))


@SearchVectorField.register_lookup
class TsQueryMatch(Lookup):
    """``search_vector__matches="'科技' <-> '技创'"``: the tsquery text is cast, not parsed."""

    lookup_name = "matches"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @@ ({rhs})::tsquery", [*lhs_params, *rhs_params]


def uses_tsvector() -> bool:
    return connection.vendor == "postgresql"


def document_text(
    *, title: str, number: str, proposers: Iterable[str], replies: Iterable[tuple[str, ...]]
) -> str:
    """The public text of a proposal, what a citizen can read on its page.

    ``replies`` holds (title, doc number, department name, body) of published replies only.
    """
    parts = [title, number, f"第{number}号", *proposers]
    for reply in replies:
        parts.extend(reply)
    return "\n".join(part for part in parts if part)


MATCH_FIELDS = (
    "pk",
    "replied_on",
    "kind",
    "session_id",
    "session__term",
    "session__meeting",
    "session__year",
    "session__committee__slug",
    "session__committee__name",
)


def match_limit(query: str) -> int:
    """How many matches a search counts and facets.

    A match of a phrase (孵化器 is 孵化 then 化器) is confirmed by reading the proposal's
    vector back, as ranking does; a single two-character word is answered by the index
    alone, so it can count further for the same time.
    """
    tsquery = to_tsquery(query) if query else ""
    return PHRASE_MATCH_LIMIT if "<->" in tsquery else MATCH_LIMIT


def first_matches(
    queryset: QuerySet, limit: int | None = None, *, searched: bool = False
) -> tuple[list[dict], bool]:
    """At most ``limit`` matches in index order (with what facets and sorting need), and
    whether there are more.

    One query that stops after ``limit + 1`` rows: counting, ranking or faceting every
    match of a common word (人才 is in most proposals) is where a search spends its time,
    while the first matches come straight from the index. Pages then say "1,000+", which
    is true. ``searched``: the queryset matches a text query (see ``_bitmap_scan``).
    """
    limit = limit or MATCH_LIMIT
    values = queryset.order_by().values(*MATCH_FIELDS)[: limit + 1]
    rows = _bitmap_scan(values) if searched and uses_tsvector() else list(values)
    return rows[:limit], len(rows) > limit


# PostgreSQL cannot tell what matching costs: it prices reading an 18 kB vector back like
# comparing two integers, and a phrase's frequency is a guess. With a LIMIT it then likes
# to walk an index (or the table) and test each row's vector until enough match, which
# reads every vector when the matches are rare (第89号: 2.5 s). Allowed only bitmap scans,
# it takes the candidates from the search index (and filters' indexes) first: 8-30 ms for
# any of the 50 benchmark queries but one (docs/performance.md). The switches travel with
# the query in one round trip and are reset after it.
_BITMAP_ONLY = "SET enable_indexscan = off; SET enable_seqscan = off; "
_PLANNER_RESET = "; RESET enable_indexscan; RESET enable_seqscan"


def _bitmap_scan(values: QuerySet) -> list[dict]:
    sql, params = values.query.sql_with_params()
    names = list(values.query.values_select)
    with connection.cursor() as cursor:
        # One message, so one transaction (implicit, or the caller's): if the query fails,
        # the rollback undoes the SETs as well.
        cursor.execute(_BITMAP_ONLY + sql + _PLANNER_RESET, params)
        raw = cursor.cursor
        while raw.description is None or len(raw.description) != len(names):
            raw.nextset()
        return [dict(zip(names, row, strict=True)) for row in raw.fetchall()]


def id_list(ids: list[int]):
    """``ids`` for an ``__in`` filter: one array parameter on PostgreSQL.

    A thousand separate parameters cost more time in Django's SQL compiler than the
    query itself took in the database.
    """
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])
    return ids


def relevance(ids: list[int], query: str) -> dict[int, float]:
    """Cover-density rank of the first ``RANK_LIMIT`` of ``ids`` (each read costs a vector)."""
    tsquery = to_tsquery(query)
    if not tsquery or not ids:
        return {}
    rank = RawSQL("ts_rank_cd(proposals_proposal.search_vector, %s::tsquery)", [tsquery])
    ranked = Proposal.objects.filter(pk__in=id_list(ids[:RANK_LIMIT])).annotate(rank=rank)
    ranked = ranked.order_by()
    return dict(ranked.values_list("pk", "rank"))


def sort_matches(rows: list[dict], sort: str, ranks: dict[int, float]) -> list[int]:
    """Ids in page order: ranked ones first by rank (newest first on ties), then by date."""

    def newest(row):
        day = row["replied_on"]
        return (day is not None, day.toordinal() if day else 0, row["pk"])

    if sort == "oldest":
        ordered = sorted(
            rows,
            key=lambda r: (
                r["replied_on"] is None,
                r["replied_on"].toordinal() if r["replied_on"] else 0,
                r["pk"],
            ),
        )
        return [row["pk"] for row in ordered]
    ordered = sorted(rows, key=newest, reverse=True)
    if sort == "relevance" and ranks:
        ranked = sorted(
            (row for row in ordered if row["pk"] in ranks),
            key=lambda r: ranks[r["pk"]],
            reverse=True,
        )
        ordered = ranked + [row for row in ordered if row["pk"] not in ranks]
    return [row["pk"] for row in ordered]


def order_by_relevance(queryset: QuerySet, query: str) -> QuerySet:
    """Rank by how densely the text uses the query (cover density), newest first on ties.

    Only for small querysets: ranking reads each match's whole vector back from storage
    (the search page ranks through ``relevance`` instead).
    """
    tsquery = to_tsquery(query)
    if not tsquery:
        return queryset
    return queryset.annotate(
        rank=RawSQL("ts_rank_cd(proposals_proposal.search_vector, %s::tsquery)", [tsquery])
    ).order_by("-rank", F("replied_on").desc(nulls_last=True), "-pk")


# Snippets and highlighting work on the original text. Folding full-width forms one
# character for one keeps positions aligned, so the original can be cut and marked.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


_IDEOGRAPHIC = re.compile(rf"[{_CJK}]+")


def _fold(text: str) -> str:
    return text.translate(_FOLD).lower()


def _spans(text: str, query: str) -> list[tuple[int, int]]:
    terms = {_fold(term) for term in query.split() if term.strip()}
    # Folding maps one character to one, and only full-width forms and letters change:
    # a term without any of those (all Chinese) is found at the same places unfolded,
    # which spares folding a whole letter for every result.
    folded = text if all(_IDEOGRAPHIC.fullmatch(term) for term in terms) else _fold(text)
    spans = []
    for term in terms:
        start = folded.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = folded.find(term, start + len(term))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _mark(text: str, spans: list[tuple[int, int]], offset: int = 0) -> str:
    pieces, cursor = [], 0
    for start, end in spans:
        start, end = start - offset, end - offset
        if end <= 0 or start >= len(text):
            continue
        start, end = max(start, 0), min(end, len(text))
        pieces.append(escape(text[cursor:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    pieces.append(escape(text[cursor:]))
    return "".join(pieces)


def highlight(text: str, query: str) -> str:
    """The whole text, escaped, with every occurrence of a query term marked."""
    return mark_safe(_mark(text, _spans(text, query) if query else []))  # noqa: S308


def snippet(text: str, query: str, width: int = 120) -> str:
    """About ``width`` characters of ``text`` around the first match, marked and escaped."""
    text = " ".join(text.split())
    spans = _spans(text, query) if query else []
    if not spans:
        cut = text[:width]
        return mark_safe(escape(cut) + ("…" if len(text) > width else ""))  # noqa: S308
    first = spans[0][0]
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    window = [span for span in spans if span[0] < end and span[1] > start]
    body = _mark(text[start:end], window, offset=start)
    return mark_safe(("…" if start else "") + body + ("…" if end < len(text) else ""))  # noqa: S308
