"""Writes that span more than one row. The admin, commands and public forms call these."""

import datetime
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from proposals.models import (
    Committee,
    Department,
    Proposal,
    ProposalProposer,
    Proposer,
    Session,
    Topic,
)
from proposals.numerals import parse_session_label
from replies.models import (
    CommitmentItem,
    CommitmentUpdate,
    Reminder,
    Reply,
    Satisfaction,
    Target,
)
from replies.parsing import ParsedLetter, ParsedSection, parse_letter

logger = logging.getLogger(__name__)


def latest_update(commitment: CommitmentItem) -> CommitmentUpdate | None:
    return commitment.updates.order_by("-date", "-created_at", "-pk").first()


def refresh_commitment(*, commitment: CommitmentItem) -> CommitmentItem:
    """Recompute the stored status (latest update's) and progress (targets' achievement)."""
    update = latest_update(commitment)
    fields = []
    if update is not None and commitment.status != update.status:
        commitment.status = update.status
        fields.append("status")
    progress = target_progress(list(commitment.targets.all()))
    if progress is None:
        progress = STATUS_PROGRESS.get(commitment.status, 0)
    if progress != commitment.progress:
        commitment.progress = progress
        fields.append("progress")
    if fields:
        fields.append("updated_at")
        commitment.save(update_fields=fields)
    return commitment


# Without targets, the status alone says how far a commitment got.
STATUS_PROGRESS = {"fulfilled": 100, "partial": 50}


def target_progress(targets: list[Target]) -> int | None:
    """Mean achievement of the targets, each capped at 100%; None when there are none."""
    if not targets:
        return None
    return round(sum(target.percent for target in targets) / len(targets))


@transaction.atomic
def post_update(
    *,
    commitment: CommitmentItem,
    status: str,
    date: datetime.date | None = None,
    note: str = "",
    evidence_url: str = "",
    attachment: UploadedFile | None = None,
    author: AbstractBaseUser | None = None,
) -> CommitmentUpdate:
    """Append a progress update; it becomes the commitment's status if it is the latest."""
    # Lock the commitment so two simultaneous updates are applied one after the other.
    commitment = CommitmentItem.objects.select_for_update().get(pk=commitment.pk)
    update = CommitmentUpdate(
        commitment=commitment,
        date=date or timezone.localdate(),
        status=status,
        note=note,
        evidence_url=evidence_url,
        author=author,
    )
    if attachment is not None:
        update.attachment = attachment
    update.full_clean()
    update.save()
    refresh_commitment(commitment=commitment)
    return update


class StaleEditError(ValidationError):
    """Someone else saved the commitment after this editor loaded it."""

    def __init__(self, current: CommitmentItem):
        self.current = current
        super().__init__(
            _(
                "保存失败：这项承诺已被他人在 %(time)s 修改（当前状态“%(status)s”，进度 %(progress)d%%）。"
                "请查看最新内容后重新填写。"
            )
            % {
                "time": timezone.localtime(current.updated_at).strftime("%Y-%m-%d %H:%M:%S"),
                "status": current.get_status_display(),
                "progress": current.progress,
            },
            code="stale",
        )


def lock_version(*, commitment: CommitmentItem, expected_version: int) -> CommitmentItem:
    """Lock the commitment's row, refusing if it changed since the editor loaded it.

    Call inside a transaction before writing: the lock makes a second editor wait and then
    see the new version, so nothing is silently overwritten.
    """
    current = CommitmentItem.objects.select_for_update().get(pk=commitment.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    return current


def claim_version(*, commitment: CommitmentItem, expected_version: int) -> CommitmentItem:
    """``lock_version``, then bump the version for the write that follows."""
    current = lock_version(commitment=commitment, expected_version=expected_version)
    CommitmentItem.objects.filter(pk=current.pk).update(version=current.version + 1)
    current.version += 1
    commitment.version = current.version
    return current


@transaction.atomic
def record_progress(
    *,
    commitment: CommitmentItem,
    expected_version: int,
    status: str,
    date: datetime.date | None = None,
    note: str = "",
    evidence_url: str = "",
    attachment: UploadedFile | None = None,
    achieved: dict[int, Decimal | None] | None = None,
    author: AbstractBaseUser | None = None,
) -> CommitmentUpdate:
    """The staff progress form: targets' achieved values and an update, or nothing at all."""
    claim_version(commitment=commitment, expected_version=expected_version)
    for target in Target.objects.filter(commitment=commitment, pk__in=list(achieved or {})):
        target.achieved = achieved[target.pk]
        target.full_clean()
        target.save(update_fields=["achieved"])
    return post_update(
        commitment=commitment,
        status=status,
        date=date,
        note=note,
        evidence_url=evidence_url,
        attachment=attachment,
        author=author,
    )


@transaction.atomic
def publish_reply(*, reply: Reply, when: datetime.datetime | None = None) -> Reply:
    from proposals.search import reindex_proposals

    was_public = reply.is_published
    reply.published_at = when or timezone.now()
    reply.save(update_fields=["published_at", "updated_at"])
    reindex_proposals([reply.proposal_id])
    if not was_public and reply.is_published:
        transaction.on_commit(lambda: notify_proposers_of_reply(reply))
    return reply


def notify_proposers_of_reply(reply: Reply) -> int:
    """E-mail the proposers that their proposal has a published reply."""
    proposal = reply.proposal
    recipients = [
        proposer.email or (proposer.user.email if proposer.user else "")
        for proposer in proposal.proposers.select_related("user")
    ]
    recipients = sorted({address for address in recipients if address})
    if not recipients:
        return 0
    subject = _("您的提案已收到答复：%(title)s") % {"title": proposal.title[:60]}
    body = _(
        "%(department)s对%(session)s%(number)s《%(title)s》的答复已公开。\n\n"
        "查看答复及其中的承诺：%(url)s\n"
    ) % {
        "department": reply.department.name,
        "session": proposal.session,
        "number": proposal.number_label,
        "title": proposal.title,
        "url": absolute_url(proposal.get_absolute_url()),
    }
    return send_mail(subject, body, None, recipients)


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def rate_reply(*, reply: Reply, satisfaction: str, comment: str = "") -> Reply:
    """The proposer's rating; 不满意 reopens the proposal for re-handling (退回重办)."""
    if satisfaction not in Satisfaction.values:
        raise ValidationError(_("请选择满意、基本满意或不满意。"), code="satisfaction")
    if not reply.is_published:
        raise ValidationError(_("答复公开后才能评价。"), code="unpublished")
    reply.satisfaction = satisfaction
    reply.satisfaction_comment = comment
    reply.rated_at = timezone.now()
    reply.save(update_fields=["satisfaction", "satisfaction_comment", "rated_at", "updated_at"])
    if satisfaction == Satisfaction.UNSATISFIED:
        from proposals.services import Status, transition

        proposal = reply.proposal
        if proposal.status in (Status.REPLIED, Status.CLOSED):
            if proposal.status == Status.CLOSED:
                # A closed proposal is reopened as replied first, then sent back.
                proposal.status = Status.REPLIED
            transition(proposal=proposal, to=Status.ASSIGNED)
        transaction.on_commit(lambda: notify_department_of_rehandling(reply))
    return reply


def notify_department_of_rehandling(reply: Reply) -> int:
    department = reply.department
    if not department.email:
        return 0
    proposal = reply.proposal
    subject = _("提案退回重办：%(title)s") % {"title": proposal.title[:60]}
    body = _(
        "提案人对贵单位关于%(session)s%(number)s《%(title)s》的答复表示不满意，"
        "提案已退回重办。\n\n提案人意见：%(comment)s\n\n%(url)s\n"
    ) % {
        "session": proposal.session,
        "number": proposal.number_label,
        "title": proposal.title,
        "comment": reply.satisfaction_comment or "（无）",
        "url": absolute_url(proposal.get_absolute_url()),
    }
    return send_mail(subject, body, None, [department.email])


def send_reminders(*, today: datetime.date | None = None) -> dict[str, int]:
    """E-mail each department its commitments due within the reminder window or overdue.

    Idempotent: a ``Reminder`` row per commitment, kind and day is claimed before sending,
    so running the daily job twice sends nothing more.
    """
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=settings.REMINDER_DAYS)
    open_items = (
        CommitmentItem.objects.open()
        .filter(due_on__isnull=False, owner__email__gt="")
        .select_related("owner", "reply__proposal__session__committee")
    )
    due = {
        Reminder.Kind.OVERDUE: open_items.filter(due_on__lt=today),
        Reminder.Kind.DUE_SOON: open_items.filter(due_on__gte=today, due_on__lte=soon),
    }
    sent = dict.fromkeys(Reminder.Kind.values, 0)
    by_department: dict[int, list[tuple[str, CommitmentItem]]] = {}
    for kind, items in due.items():
        for item in items.order_by("owner_id", "due_on", "pk"):
            with transaction.atomic():
                _reminder, created = Reminder.objects.get_or_create(
                    commitment=item,
                    kind=kind,
                    sent_on=today,
                    defaults={"recipients": item.owner.email},
                )
            if created:
                by_department.setdefault(item.owner_id, []).append((kind, item))
                sent[kind] += 1
    for entries in by_department.values():
        department = entries[0][1].owner
        lines = []
        for kind, item in entries:
            label = Reminder.Kind(kind).label
            lines.append(
                f"[{label}] {item.due_on:%Y-%m-%d} {item.reply.proposal.number_label} "
                f"{item.heading or item.text[:30]}  {absolute_url(item.get_absolute_url())}"
            )
        send_mail(
            _("承诺事项提醒：%(count)d 项即将到期或已逾期") % {"count": len(entries)},
            "\n".join(lines),
            None,
            [department.email],
        )
    return sent


@transaction.atomic
def unpublish_reply(*, reply: Reply) -> Reply:
    from proposals.search import reindex_proposals

    reply.published_at = None
    reply.save(update_fields=["published_at", "updated_at"])
    reindex_proposals([reply.proposal_id])
    return reply


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
UNNAMED_DEPARTMENT = "未注明承办单位"


@dataclass
class ImportResult:
    outcome: str  # "imported" | "updated" | "unchanged"
    proposal: Proposal
    reply: Reply
    warnings: list[str] = field(default_factory=list)


def letter_fingerprint(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


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
    name = f"{region}{suffix}" if region else f"未注明地区{suffix}"
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


def _link_proposers(*, proposal: Proposal, proposers: list[Proposer], created: bool) -> None:
    """The letter's proposers in its order; a new proposal's links are written at once."""
    if created:
        ProposalProposer.objects.bulk_create(
            ProposalProposer(proposal=proposal, proposer=proposer, position=position)
            for position, proposer in enumerate(proposers)
        )
        return
    links = {link.proposer_id: link for link in ProposalProposer.objects.filter(proposal=proposal)}
    for position, proposer in enumerate(proposers):
        link = links.get(proposer.pk)
        if link is None:
            ProposalProposer.objects.create(proposal=proposal, proposer=proposer, position=position)
        elif link.position != position:
            link.position = position
            link.save(update_fields=["position"])


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


@dataclass
class _Place:
    """Where a letter belongs: its proposal's session and number, and who replied."""

    session: Session
    number: str
    department: Department
    defaults: dict  # the proposal's fields, if the letter is the first for it

    @property
    def key(self) -> tuple[int, str]:
        return (self.session.pk, self.number)


def _place_of(*, parsed: ParsedLetter, department: Department | None, cache: ImportCache) -> _Place:
    year = parsed.reply_date.year if parsed.reply_date else None
    committee = cache.committee(
        agency=parsed.agency or (department.name if department else None), kind=parsed.kind
    )
    session = cache.session(committee=committee, label=parsed.session, year=year)
    department = department or cache.department(parsed.agency)
    title = parsed.proposal_title or parsed.title or _("（未注明标题）")
    if parsed.proposal_number:
        number, stated = parsed.proposal_number, True
    else:
        # No number in the letter: derive a stable one so importing it again finds it.
        key = f"{title}|{'、'.join(parsed.proposers)}|{department.name}"
        number, stated = "N" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:7].upper(), False
    defaults = {
        "number_stated": stated,
        "kind": parsed.kind if parsed.kind in Proposal.Kind.values else Proposal.Kind.OTHER,
        "title": str(title)[:300],
        "lead_department": department,
        "status": Proposal.Status.REPLIED,
    }
    return _Place(session=session, number=number, department=department, defaults=defaults)


class _Batch:
    """Letters imported together (see ``import_letters_batch``): read and written in a few
    queries for all of them instead of a few for each.

    ``prepare`` reads what the letters' proposals already have (the proposals, their
    proposer links and current answers) and creates the missing proposals, all at once.
    New replies with their commitments, targets and history, new proposer links and
    topics wait for ``flush``. Until then those replies are not in the database, so a
    letter for a proposal and department that the batch has answered flushes first and
    reads the answer back, as it would one letter after the other.
    """

    def __init__(self) -> None:
        self.proposals: dict[tuple[int, str], Proposal] = {}
        self.created: set[tuple[int, str]] = set()  # created here, first letter still to come
        self.links: dict[int, dict[int, ProposalProposer]] = {}
        self.answers: dict[tuple[int, int], Reply] = {}  # current answers read in prepare
        self.answered: set[tuple[int, int]] = set()  # answered (again) by this batch
        self._clear()

    def _clear(self) -> None:
        self.replies: list[Reply] = []
        self.items: list[CommitmentItem] = []
        self.targets: list[Target] = []
        self.new_links: list[ProposalProposer] = []
        self.topics: dict[tuple[int, int], None] = {}

    def prepare(self, places: Sequence[_Place]) -> None:
        from simple_history.utils import bulk_create_with_history

        first: dict[tuple[int, str], _Place] = {}
        for place in places:
            first.setdefault(place.key, place)
        if not first:
            return
        wanted = Q()
        for session_id, number in first:
            wanted |= Q(session_id=session_id, number=number)
        # The search vector (18 kB on average) is rewritten by reindexing, never read here.
        for proposal in Proposal.objects.defer("search_vector").filter(wanted):
            self.proposals[(proposal.session_id, proposal.number)] = proposal
        existing = [proposal.pk for proposal in self.proposals.values()]
        # In key order, so that two imports creating the same proposals wait rather than
        # deadlock.
        new = [
            Proposal(session=place.session, number=place.number, **place.defaults)
            for key, place in sorted(first.items())
            if key not in self.proposals
        ]
        if new:
            bulk_create_with_history(new, Proposal)
            for proposal in new:
                key = (proposal.session_id, proposal.number)
                self.proposals[key] = proposal
                self.created.add(key)
        if existing:
            for link in ProposalProposer.objects.filter(proposal_id__in=existing):
                self.links.setdefault(link.proposal_id, {})[link.proposer_id] = link
            answers = (
                Reply.objects.select_for_update(of=("self",))
                .filter(proposal_id__in=existing, role=Reply.Role.ANSWER)
                .filter(superseded_by__isnull=True)
                .order_by("-pk")
            )
            for reply in answers:
                self.answers.setdefault((reply.proposal_id, reply.department_id), reply)

    def proposal(self, place: _Place) -> tuple[Proposal, bool]:
        """The letter's proposal, and whether it is the first letter for a new one."""
        created = place.key in self.created
        self.created.discard(place.key)
        return self.proposals[place.key], created

    def link_proposers(self, *, proposal: Proposal, proposers: list[Proposer]) -> None:
        """What ``_link_proposers`` does, against the links read in ``prepare``."""
        links = self.links.setdefault(proposal.pk, {})
        for position, proposer in enumerate(proposers):
            link = links.get(proposer.pk)
            if link is None:
                link = ProposalProposer(proposal=proposal, proposer=proposer, position=position)
                links[proposer.pk] = link
                self.new_links.append(link)
            elif link.position != position:
                link.position = position
                if link.pk is not None:
                    link.save(update_fields=["position"])

    def current_answer(self, *, proposal: Proposal, department: Department) -> Reply | None:
        key = (proposal.pk, department.pk)
        if key in self.answered:
            self.flush()
            return _current_answer(proposal=proposal, department=department)
        return self.answers.get(key)

    def add_reply(
        self, *, reply: Reply, items: list[CommitmentItem], targets: list[Target]
    ) -> None:
        self.replies.append(reply)
        self.items += items
        self.targets += targets
        self.answered.add((reply.proposal_id, reply.department_id))

    def add_topics(self, *, proposal: Proposal, topics: Iterable[Topic]) -> None:
        for topic in topics:
            self.topics[(proposal.pk, topic.pk)] = None

    def flush(self) -> None:
        from simple_history.utils import bulk_create_with_history

        if self.replies:
            bulk_create_with_history(self.replies, Reply)
        if self.items:
            # Saving a reply sets its commitments' reply_id (and a commitment's, its targets').
            bulk_create_with_history(self.items, CommitmentItem)
        if self.targets:
            Target.objects.bulk_create(self.targets)
        if self.new_links:
            ProposalProposer.objects.bulk_create(self.new_links)
        if self.topics:
            through = Proposal.topics.through
            through.objects.bulk_create(
                [through(proposal_id=p, topic_id=t) for p, t in self.topics],
                ignore_conflicts=True,
            )
        if self.replies:
            # Bulk inserts send no post_save: say that public data changed.
            from proposals.selectors import forget_public_data_version

            forget_public_data_version()
        self._clear()


@transaction.atomic
def import_letter(
    *,
    text: str,
    parsed: ParsedLetter | None = None,
    source_url: str = "",
    publish: bool = True,
    force: bool = False,
    department: Department | None = None,
    cache: ImportCache | None = None,
    reindex: bool = True,
) -> ImportResult:
    """Turn a reply letter into a proposal, a reply and its commitments, in one transaction.

    Idempotent: the same letter twice changes nothing; a corrected letter (same proposal,
    department and role) updates the reply in place and keeps its commitments' updates.
    ``force`` applies ``parsed`` even to an unchanged text (staff corrected the preview);
    ``department`` overrides the replying agency read from the letter (a clerk's own).
    ``cache`` reuses the lookups of earlier letters in the same transaction (see
    ``ImportCache``). With ``reindex=False`` the caller reindexes the proposal before
    committing, once for all the letters it imports (``import_letters_batch`` does).
    """
    cache = cache or ImportCache()
    try:
        result = _import_letter(
            text=text,
            parsed=parsed,
            source_url=source_url,
            publish=publish,
            force=force,
            department=department,
            cache=cache,
        )
    except BaseException:
        cache.discard()  # this transaction (or savepoint) is rolled back
        raise
    cache.keep()
    if reindex and result.outcome != "unchanged":
        from proposals.search import reindex_proposals

        reindex_proposals([result.proposal.pk])
    return result


def _import_letter(
    *,
    text: str,
    parsed: ParsedLetter | None,
    source_url: str,
    publish: bool,
    force: bool,
    department: Department | None,
    cache: ImportCache,
    batch: _Batch | None = None,
    place: _Place | None = None,
) -> ImportResult:
    """``import_letter`` without its transaction and reindexing; with ``batch`` (and the
    ``place`` it was prepared for) as one of the letters imported together."""
    topics = cache.topics()
    if parsed is None:
        parsed = parse_letter(text, topics=cache.topic_keywords())
    fingerprint = letter_fingerprint(text)
    place = place or _place_of(parsed=parsed, department=department, cache=cache)
    department = place.department
    title = place.defaults["title"]
    if batch is None:
        proposal, proposal_created = _get_or_create_proposal(
            session=place.session, number=place.number, defaults=place.defaults
        )
    else:
        proposal, proposal_created = batch.proposal(place)
    if not proposal_created and (proposal.title != title or proposal.lead_department_id is None):
        proposal.title = title
        if proposal.lead_department_id is None:
            proposal.lead_department = department
        proposal.save(update_fields=["title", "lead_department", "updated_at"])
    proposers = cache.proposers(parsed.proposers)
    if batch is None:
        _link_proposers(proposal=proposal, proposers=proposers, created=proposal_created)
    else:
        batch.link_proposers(proposal=proposal, proposers=proposers)

    reply = None
    if not proposal_created:
        if batch is None:
            reply = _current_answer(proposal=proposal, department=department)
        else:
            reply = batch.current_answer(proposal=proposal, department=department)
    if reply is not None and reply.source_hash == fingerprint and not force:
        return ImportResult("unchanged", proposal, reply, list(parsed.warnings))
    previous = None
    if reply is not None and reply.satisfaction == Satisfaction.UNSATISFIED:
        # Re-handling (退回重办): the new letter is a new reply; the old one stays as history.
        previous, reply = reply, None
    outcome = "imported" if reply is None else "updated"
    reply = reply or Reply(
        proposal=proposal, department=department, role=Reply.Role.ANSWER, supersedes=previous
    )
    reply.title = (parsed.title or "")[:300]
    reply.doc_number = (parsed.doc_number or "")[:100]
    reply.index_number = (parsed.index_number or "")[:100]
    reply.letter_date = parsed.reply_date
    reply.body = parsed.body
    reply.classification = parsed.classification or ""
    reply.source_url = source_url[:500]
    reply.source_hash = fingerprint
    if publish and reply.published_at is None:
        reply.published_at = timezone.now()
    # Field checks only: the table's check constraints hold every value set here, and
    # checking them through Django costs a query each.
    reply.clean_fields(exclude=["proposal", "department", "supersedes"])
    warnings = list(parsed.warnings)
    if outcome == "imported":
        items, targets, skipped = _new_commitments(
            reply=reply, sections=parsed.sections, owner=department, topics=topics
        )
        warnings += skipped
        if batch is None:
            reply.save()
            _write_commitments(items=items, targets=targets)
        else:
            batch.add_reply(reply=reply, items=items, targets=targets)
    else:
        reply.save()
        warnings += _sync_commitments(
            reply=reply, sections=parsed.sections, owner=department, topics=topics
        )
        if batch is not None:
            batch.answered.add((proposal.pk, department.pk))  # read it back from now on
    letter_topics = [
        topics[key] for key in dict.fromkeys(s.topic for s in parsed.sections) if key in topics
    ]
    if letter_topics:
        if batch is None:
            proposal.topics.add(*letter_topics)
        else:
            batch.add_topics(proposal=proposal, topics=letter_topics)
    return ImportResult(outcome, proposal, reply, warnings)


def _current_answer(*, proposal: Proposal, department: Department) -> Reply | None:
    """The department's answer that a new letter replaces or updates (locked until commit)."""
    return (
        Reply.objects.select_for_update(of=("self",))
        .filter(proposal=proposal, department=department, role=Reply.Role.ANSWER)
        .filter(superseded_by__isnull=True)
        .order_by("-pk")
        .first()
    )


@dataclass
class BatchOutcome:
    """What became of one letter of a batch: an ``ImportResult``, or why it failed."""

    outcome: str  # "imported" | "updated" | "unchanged" | "failed"
    result: ImportResult | None = None
    error: str = ""


class _DryRun(Exception):
    pass


def failure_reason(error: Exception) -> str:
    """One readable line: validation messages with their field's name, or the database's
    first line (the details that follow name tables and values)."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        parts = []
        for name, messages in error.message_dict.items():
            try:
                label = f"{Reply._meta.get_field(name).verbose_name}："
            except FieldDoesNotExist:
                label = ""
            parts += [label + message for message in messages]
        reason = "；".join(parts)
    elif isinstance(error, ValidationError):
        reason = "；".join(error.messages)
    else:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return reason[:300]


def import_letters_batch(
    texts: Sequence[str], *, source_url: str = "", publish: bool = True, dry_run: bool = False
) -> list[BatchOutcome]:
    """Import many letters in one transaction; a letter that is refused fails alone.

    What each letter stores is what ``import_letter`` would store, one after the other.
    First all letters are imported together: lookups shared, new replies and their
    commitments written a few queries for the whole batch. If validation or the database
    refuses anything, that attempt is rolled back and the letters are imported one by
    one, each in a savepoint of its own, so a bad letter leaves nothing and is reported
    while the others are kept. The proposals touched are reindexed once, before the
    commit: public pages see the whole batch with its search entries, or none of it. If
    the batch as a whole fails (the database went away), every letter is reported failed
    and nothing is kept. ``dry_run`` does all of it, then rolls back.
    """
    if not texts:
        return []
    cache = ImportCache()
    keywords = cache.topic_keywords()
    letters = [parse_letter(text, topics=keywords) for text in texts]
    outcomes: list[BatchOutcome] = []
    try:
        with transaction.atomic():
            outcomes = _import_together(texts, letters, cache, source_url, publish)
            if outcomes is None:
                outcomes = _import_one_by_one(texts, letters, source_url, publish)
            touched = {
                outcome.result.proposal.pk: None
                for outcome in outcomes
                if outcome.result is not None and outcome.outcome != "unchanged"
            }
            if touched:
                from proposals.search import reindex_proposals

                reindex_proposals(list(touched))
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except DatabaseError as error:
        # Outside any letter (reindexing, committing): the whole batch is rolled back.
        reason = failure_reason(error)
        errors = [outcome.error for outcome in outcomes or []]
        errors += [""] * (len(texts) - len(errors))
        return [BatchOutcome("failed", error=own or reason) for own in errors]
    return outcomes


def _import_together(
    texts: Sequence[str],
    letters: Sequence[ParsedLetter],
    cache: ImportCache,
    source_url: str,
    publish: bool,
) -> list[BatchOutcome] | None:
    """All letters in one savepoint, read and written together (``_Batch``); None, and
    nothing kept, if any of them is refused."""
    try:
        with transaction.atomic():
            cache.prepare(letters)
            places = [_place_of(parsed=parsed, department=None, cache=cache) for parsed in letters]
            batch = _Batch()
            batch.prepare(places)
            results = [
                _import_letter(
                    text=text,
                    parsed=parsed,
                    source_url=source_url,
                    publish=publish,
                    force=False,
                    department=None,
                    cache=cache,
                    batch=batch,
                    place=place,
                )
                for text, parsed, place in zip(texts, letters, places, strict=True)
            ]
            batch.flush()
    except (ValidationError, DatabaseError) as error:
        logger.debug("%d letters imported one by one: %s", len(texts), failure_reason(error))
        return None
    return [BatchOutcome(result.outcome, result) for result in results]


def _import_one_by_one(
    texts: Sequence[str], letters: Sequence[ParsedLetter], source_url: str, publish: bool
) -> list[BatchOutcome]:
    """Each letter in its own savepoint: one that is refused is rolled back and reported."""
    cache = ImportCache()
    outcomes = []
    for text, parsed in zip(texts, letters, strict=True):
        try:
            result = import_letter(
                text=text,
                parsed=parsed,
                source_url=source_url,
                publish=publish,
                cache=cache,
                reindex=False,
            )
        except (ValidationError, DatabaseError) as error:
            outcomes.append(BatchOutcome("failed", error=failure_reason(error)))
        else:
            outcomes.append(BatchOutcome(result.outcome, result))
    return outcomes


def _get_or_create_proposal(*, session: Session, number: str, defaults: dict):
    """get_or_create that lets the unique constraint decide between simultaneous imports."""
    # The search vector (18 kB on average) is rewritten by reindexing, never read here.
    proposals = Proposal.objects.defer("search_vector")
    proposal = proposals.filter(session=session, number=number).first()
    if proposal is not None:
        return proposal, False
    try:
        with transaction.atomic():
            return Proposal.objects.create(session=session, number=number, **defaults), True
    except IntegrityError:
        return proposals.get(session=session, number=number), False


def _section_fields(item: CommitmentItem, section: ParsedSection, topics: dict) -> None:
    item.marker = section.marker[:20]
    item.heading = (section.heading or "")[:300]
    item.text = section.text
    item.statements = [
        {
            "text": statement.text,
            "modality": statement.modality,
            "deadline": statement.deadline.isoformat() if statement.deadline else None,
        }
        for statement in section.commitments
    ]
    item.topic = topics.get(section.topic) if section.topic else None
    item.due_on = section.due_on


def _new_commitments(
    *, reply: Reply, sections: Sequence[ParsedSection], owner: Department, topics: dict
) -> tuple[list[CommitmentItem], list[Target], list[str]]:
    """A new reply's commitments and targets, not yet saved, and warnings for skipped ones.

    What ``_sync_commitments`` then ``refresh_commitment`` would store, without the
    round trips: a new commitment has no updates, so its status is the parser's
    suggestion and its progress that of its targets (none achieved yet).
    """
    items, targets, warnings = [], [], []
    for section in sections:
        item = CommitmentItem(
            reply=reply, number=section.number, owner=owner, status=section.suggested_status
        )
        _section_fields(item, section, topics)
        kept, skipped = _targets_of(item=item, section=section, achieved={})
        progress = target_progress(kept)
        item.progress = STATUS_PROGRESS.get(item.status, 0) if progress is None else progress
        items.append(item)
        targets += kept
        warnings += skipped
    return items, targets, warnings


def _write_commitments(*, items: list[CommitmentItem], targets: list[Target]) -> None:
    """Commitments (with their history rows) and targets in a query each."""
    from simple_history.utils import bulk_create_with_history

    if items:
        bulk_create_with_history(items, CommitmentItem)
    if targets:
        Target.objects.bulk_create(targets)


def _sync_commitments(
    *, reply: Reply, sections: Sequence[ParsedSection], owner: Department, topics: dict
) -> list[str]:
    warnings: list[str] = []
    existing = {item.number: item for item in reply.commitments.prefetch_related("targets")}
    for section in sections:
        item = existing.pop(section.number, None)
        is_new = item is None
        item = item or CommitmentItem(reply=reply, number=section.number, owner=owner)
        _section_fields(item, section, topics)
        if is_new:
            item.status = section.suggested_status
        else:
            item.version += 1
        item.save()
        warnings += _sync_targets(item=item, section=section)
        refresh_commitment(commitment=item)
    # Sections gone from a corrected letter: drop them unless progress was reported on them.
    for item in existing.values():
        if not item.updates.exists():
            item.delete()
    return warnings


# Target.quantity holds 14 digits with 2 decimals; a larger figure is a misreading.
MAX_TARGET_QUANTITY = Decimal("999999999999.99")


def _sync_targets(*, item: CommitmentItem, section: ParsedSection) -> list[str]:
    """Replace the targets, keeping achieved values by text; return warnings for skipped ones."""
    achieved = {target.text: target.achieved for target in item.targets.all()}
    item.targets.all().delete()
    kept, warnings = _targets_of(item=item, section=section, achieved=achieved)
    Target.objects.bulk_create(kept)
    return warnings


def _targets_of(
    *, item: CommitmentItem, section: ParsedSection, achieved: dict
) -> tuple[list[Target], list[str]]:
    """The section's targets (achieved values kept by text) and warnings for skipped ones."""
    kept, warnings = [], []
    for target in section.targets:
        if not 0 < target.quantity <= MAX_TARGET_QUANTITY:
            warnings.append(
                str(_("第%(number)d部分的指标“%(text)s”数值异常（%(quantity)s），未导入。"))
                % {"number": item.number, "text": target.text[:40], "quantity": target.quantity}
            )
            continue
        kept.append(
            Target(
                commitment=item,
                text=target.text[:300],
                quantity=target.quantity,
                unit=target.unit[:20],
                due_on=target.deadline,
                achieved=achieved.get(target.text[:300]),
            )
        )
    return kept, warnings
