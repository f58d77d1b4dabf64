"""What a letter names, found or created: committee, session, department, proposers, topics."""

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from core.numerals import parse_session_label
from proposals.models import (
    UNNAMED_DEPARTMENT,
    UNNAMED_REGION,
    Committee,
    Department,
    Proposer,
    Session,
    Topic,
)
from replies.parsing import ParsedLetter

# ---------------------------------------------------------------------------
# Importing reply letters
# ---------------------------------------------------------------------------
# The region a body belongs to prefixes its name: 临沂市科学技术局 → 临沂市,
# 昆明市晋宁区林业和草原局 → 昆明市晋宁区. Below a city only districts and counties follow,
# so 城市管理局 is not read as a second city.
_REGION = re.compile(
    r"^(?P<top>[\u4e00-\u9fff]{2,10}?(?:自治区|自治州|省|市|州|盟|地区))?"
    r"(?P<low>[\u4e00-\u9fff]{1,8}?(?:自治县|县|区|旗))?"
)


def region_of(agency: str | None) -> str | None:
    if not agency:
        return None
    match = _REGION.match(agency)
    region = (match.group("top") or "") + (match.group("low") or "") if match else ""
    return region or None


def _committee_name(*, agency: str | None, kind: str) -> tuple[str, str, str | None]:
    """The name, kind and region of the committee a letter answers to."""
    committee_kind = Committee.Kind.CONGRESS if kind == "suggestion" else Committee.Kind.CPPCC
    suffix = "人大" if committee_kind == Committee.Kind.CONGRESS else "政协"
    region = region_of(agency)
    name = f"{region}{suffix}" if region else f"{UNNAMED_REGION}{suffix}"
    return name, committee_kind, region


def committee_for(
    *, agency: str | None, kind: str, candidates: Iterable[Committee] | None = None
) -> Committee:
    """The committee a letter answers to: the agency's region plus 政协 or 人大.

    ``candidates`` (in name order) are the committees of that name and those with
    aliases, read before for many letters at once; by default they are read here.
    """
    name, committee_kind, region = _committee_name(agency=agency, kind=kind)
    if candidates is None:
        # One query: the committee of that name and those with aliases, in the usual order.
        candidates = Committee.objects.filter(Q(name=name) | ~Q(aliases=""))
        candidates = candidates.filter(kind=committee_kind)
    for committee in candidates:
        if committee.kind == committee_kind and (
            committee.name == name or name in committee.alias_list
        ):
            return committee
    level = Committee.Level.COUNTY if region and region[-1] in "县区旗" else Committee.Level.CITY
    slug = slugify(name, allow_unicode=True)
    committee, _created = Committee.objects.get_or_create(
        slug=slug, defaults={"name": name, "kind": committee_kind, "level": level}
    )
    return committee


def _session_numbers(label: str | None, year: int | None) -> tuple[int, int, int | None]:
    """Term, meeting and year of a session; term and meeting 0 when the label names none
    (the year is then the letter's, or this year)."""
    numbers = parse_session_label(label) if label else None
    if numbers:
        return numbers[0], numbers[1], year
    return 0, 0, year or timezone.localdate().year


def session_for(*, committee: Committee, label: str | None, year: int | None) -> Session:
    term, meeting, year = _session_numbers(label, year)
    if term:
        session, _created = Session.objects.get_or_create(
            committee=committee, term=term, meeting=meeting, defaults={"year": year}
        )
        if session.year is None and year:
            session.year = year
            session.save(update_fields=["year"])
        return session
    session, _created = Session.objects.get_or_create(
        committee=committee, term=0, meeting=0, year=year
    )
    return session


def _department_name(name: str | None) -> str:
    return (name or "").strip() or UNNAMED_DEPARTMENT


def department_for(name: str | None) -> Department:
    name = _department_name(name)
    department = Department.objects.filter(Q(name=name) | Q(short_name=name)).first()
    if department:
        return department
    for candidate in Department.objects.exclude(aliases=""):
        if name in candidate.alias_list:
            return candidate
    department, _created = Department.objects.get_or_create(name=name)
    return department


def proposers_for(names: Sequence[str]) -> list[Proposer]:
    """The proposers of these names (the oldest of a name), created where missing."""
    names = list(dict.fromkeys(names))
    found: dict[str, Proposer] = {}
    for proposer in Proposer.objects.filter(name__in=names).order_by("-pk"):
        found[proposer.name] = proposer
    missing = [Proposer(name=name) for name in names if name not in found]
    for proposer in Proposer.objects.bulk_create(missing):
        found[proposer.name] = proposer
    return [found[name] for name in names]


def topic_keywords(topics: Iterable[Topic] | None = None) -> dict[str, list[str]] | None:
    """The configurable topic list, or None to let the parser use its defaults."""
    if topics is None:
        topics = Topic.objects.all()
    keywords = {topic.key: topic.keyword_list for topic in topics}
    return {key: words for key, words in keywords.items() if words} or None


T = TypeVar("T")


class ImportCache:
    """What a run of imports looks up by name, read once per run instead of once a letter.

    Topics, committees, sessions, departments and proposers: a batch of letters names the
    same ones again and again. Rows a letter creates are added as it creates them, so a
    cache belongs to one transaction: when a letter is rolled back alone (its savepoint),
    ``import_letter`` calls ``discard()`` to forget what that letter looked up (it may
    have created it), and ``keep()`` after a letter that was kept. Nothing else is
    invalidated during a run; the next run (transaction) starts a new cache.
    """

    def __init__(self) -> None:
        self._topics: dict[str, Topic] | None = None
        self._keywords: dict[str, list[str]] | None = None
        self._rows: dict[tuple, Any] = {}
        self._added: list[tuple] = []
        self._committees: list[Committee] | None = None  # read by prepare()

    def topics(self) -> dict[str, Topic]:
        if self._topics is None:
            self._topics = {topic.key: topic for topic in Topic.objects.all()}
            self._keywords = topic_keywords(self._topics.values())
        return self._topics

    def topic_keywords(self) -> dict[str, list[str]] | None:
        self.topics()
        return self._keywords

    def _get(self, key: tuple, find: Callable[[], T]) -> T:
        try:
            return self._rows[key]
        except KeyError:
            row = self._rows[key] = find()
            self._added.append(key)
            return row

    def keep(self) -> None:
        """The letter that looked these rows up was kept: so are they."""
        self._added.clear()

    def discard(self) -> None:
        """The letter was rolled back: forget what it looked up (it may have created it)."""
        for key in self._added:
            self._rows.pop(key, None)
        self._added.clear()

    def prepare(self, letters: Sequence[ParsedLetter]) -> None:
        """Everything these letters look up, a query or two for all of them.

        Reads their departments, committees and sessions, and creates the committees and
        proposers that are missing (sessions and departments are created, if missing,
        when a letter asks for them).
        """
        names = {_department_name(letter.agency) for letter in letters}
        # Ordered by name, as department_for's first(): the first row of a name wins.
        for department in Department.objects.filter(
            Q(name__in=names) | Q(short_name__in=names)
        ).order_by("name"):
            for name in (department.name, department.short_name):
                if name in names:
                    self._rows.setdefault(("department", name), department)
        committee_names = {
            _committee_name(agency=letter.agency, kind=letter.kind)[0] for letter in letters
        }
        self._committees = list(
            Committee.objects.filter(Q(name__in=committee_names) | ~Q(aliases=""))
        )
        committees = [self.committee(agency=letter.agency, kind=letter.kind) for letter in letters]
        self.proposers([name for letter in letters for name in letter.proposers])
        self._prepare_sessions(
            (committee, letter.session, letter.reply_date.year if letter.reply_date else None)
            for committee, letter in zip(committees, letters, strict=True)
        )
        self.keep()

    def _prepare_sessions(self, wanted: Iterable[tuple[Committee, str | None, int | None]]) -> None:
        """The sessions session_for would return, where it would not change or create them."""
        keys = {
            ("session", committee.pk, label, year): (committee.pk, *_session_numbers(label, year))
            for committee, label, year in wanted
        }
        if not keys:
            return
        condition = Q()
        for committee_id, term, meeting, year in set(keys.values()):
            if term:
                condition |= Q(committee_id=committee_id, term=term, meeting=meeting)
            else:
                condition |= Q(committee_id=committee_id, term=0, meeting=0, year=year)
        found = {}
        for session in Session.objects.filter(condition):
            found[(session.committee_id, session.term, session.meeting)] = session
            found[(session.committee_id, session.term, session.meeting, session.year)] = session
        for key, (committee_id, term, meeting, year) in keys.items():
            if term:
                session = found.get((committee_id, term, meeting))
                if session is not None and (session.year is not None or not year):
                    self._rows.setdefault(key, session)
            elif (committee_id, 0, 0, year) in found:
                self._rows.setdefault(key, found[(committee_id, 0, 0, year)])

    def committee(self, *, agency: str | None, kind: str) -> Committee:
        # committee_for reads only the region of the agency.
        return self._get(
            ("committee", region_of(agency), kind),
            lambda: committee_for(agency=agency, kind=kind, candidates=self._committees),
        )

    def session(self, *, committee: Committee, label: str | None, year: int | None) -> Session:
        return self._get(
            ("session", committee.pk, label, year),
            lambda: session_for(committee=committee, label=label, year=year),
        )

    def department(self, name: str | None) -> Department:
        name = _department_name(name)
        return self._get(("department", name), lambda: department_for(name))

    def proposers(self, names: Sequence[str]) -> list[Proposer]:
        names = list(dict.fromkeys(names))
        missing = [name for name in names if ("proposer", name) not in self._rows]
        for proposer in proposers_for(missing) if missing else []:
            self._rows[("proposer", proposer.name)] = proposer
            self._added.append(("proposer", proposer.name))
        return [self._rows[("proposer", name)] for name in names]
