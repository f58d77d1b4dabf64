"""Writes that span more than one row. The admin, commands and public forms call these."""

import datetime
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
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


def committee_for(*, agency: str | None, kind: str) -> Committee:
    """The committee a letter answers to: the agency's region plus 政协 or 人大."""
    committee_kind = Committee.Kind.CONGRESS if kind == "suggestion" else Committee.Kind.CPPCC
    suffix = "人大" if committee_kind == Committee.Kind.CONGRESS else "政协"
    region = region_of(agency)
    name = f"{region}{suffix}" if region else f"未注明地区{suffix}"
    # One query: the committee of that name and those with aliases, in the usual order.
    candidates = Committee.objects.filter(kind=committee_kind).filter(Q(name=name) | ~Q(aliases=""))
    for committee in candidates:
        if committee.name == name or name in committee.alias_list:
            return committee
    level = Committee.Level.COUNTY if region and region[-1] in "县区旗" else Committee.Level.CITY
    slug = slugify(name, allow_unicode=True)
    committee, _created = Committee.objects.get_or_create(
        slug=slug, defaults={"name": name, "kind": committee_kind, "level": level}
    )
    return committee


def session_for(*, committee: Committee, label: str | None, year: int | None) -> Session:
    numbers = parse_session_label(label) if label else None
    if numbers:
        session, _created = Session.objects.get_or_create(
            committee=committee, term=numbers[0], meeting=numbers[1], defaults={"year": year}
        )
        if session.year is None and year:
            session.year = year
            session.save(update_fields=["year"])
        return session
    session, _created = Session.objects.get_or_create(
        committee=committee, term=0, meeting=0, year=year or timezone.localdate().year
    )
    return session


def department_for(name: str | None) -> Department:
    name = (name or "").strip() or UNNAMED_DEPARTMENT
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


@transaction.atomic
def import_letter(
    *,
    text: str,
    parsed: ParsedLetter | None = None,
    source_url: str = "",
    publish: bool = True,
    force: bool = False,
    department: Department | None = None,
) -> ImportResult:
    """Turn a reply letter into a proposal, a reply and its commitments, in one transaction.

    Idempotent: the same letter twice changes nothing; a corrected letter (same proposal,
    department and role) updates the reply in place and keeps its commitments' updates.
    ``force`` applies ``parsed`` even to an unchanged text (staff corrected the preview);
    ``department`` overrides the replying agency read from the letter (a clerk's own).
    """
    topics = {topic.key: topic for topic in Topic.objects.all()}
    if parsed is None:
        parsed = parse_letter(text, topics=topic_keywords(topics.values()))
    fingerprint = letter_fingerprint(text)
    year = parsed.reply_date.year if parsed.reply_date else None
    committee = committee_for(
        agency=parsed.agency or (department.name if department else None), kind=parsed.kind
    )
    session = session_for(committee=committee, label=parsed.session, year=year)
    department = department or department_for(parsed.agency)
    title = parsed.proposal_title or parsed.title or _("（未注明标题）")
    if parsed.proposal_number:
        number, stated = parsed.proposal_number, True
    else:
        # No number in the letter: derive a stable one so importing it again finds it.
        key = f"{title}|{'、'.join(parsed.proposers)}|{department.name}"
        number, stated = "N" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:7].upper(), False

    proposal, proposal_created = _get_or_create_proposal(
        session=session,
        number=number,
        defaults={
            "number_stated": stated,
            "kind": parsed.kind if parsed.kind in Proposal.Kind.values else Proposal.Kind.OTHER,
            "title": str(title)[:300],
            "lead_department": department,
            "status": Proposal.Status.REPLIED,
        },
    )
    if not proposal_created and (
        proposal.title != str(title)[:300] or proposal.lead_department_id is None
    ):
        proposal.title = str(title)[:300]
        if proposal.lead_department_id is None:
            proposal.lead_department = department
        proposal.save(update_fields=["title", "lead_department", "updated_at"])
    _link_proposers(
        proposal=proposal, proposers=proposers_for(parsed.proposers), created=proposal_created
    )

    reply = None
    if not proposal_created:
        reply = (
            Reply.objects.select_for_update(of=("self",))
            .filter(proposal=proposal, department=department, role=Reply.Role.ANSWER)
            .filter(superseded_by__isnull=True)
            .order_by("-pk")
            .first()
        )
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
    reply.save()
    warnings = list(parsed.warnings)
    if outcome == "imported":
        warnings += _create_commitments(
            reply=reply, sections=parsed.sections, owner=department, topics=topics
        )
    else:
        warnings += _sync_commitments(
            reply=reply, sections=parsed.sections, owner=department, topics=topics
        )
    letter_topics = [
        topics[key] for key in dict.fromkeys(s.topic for s in parsed.sections) if key in topics
    ]
    if letter_topics:
        proposal.topics.add(*letter_topics)
    from proposals.search import reindex_proposals

    reindex_proposals([proposal.pk])
    return ImportResult(outcome, proposal, reply, warnings)


def _get_or_create_proposal(*, session: Session, number: str, defaults: dict):
    """get_or_create that lets the unique constraint decide between simultaneous imports."""
    proposal = Proposal.objects.filter(session=session, number=number).first()
    if proposal is not None:
        return proposal, False
    try:
        with transaction.atomic():
            return Proposal.objects.create(session=session, number=number, **defaults), True
    except IntegrityError:
        return Proposal.objects.get(session=session, number=number), False


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


def _create_commitments(
    *, reply: Reply, sections: Sequence[ParsedSection], owner: Department, topics: dict
) -> list[str]:
    """A new reply's commitments and targets, a few queries for the whole letter.

    What ``_sync_commitments`` then ``refresh_commitment`` would store, without the
    round trips: a new commitment has no updates, so its status is the parser's
    suggestion and its progress that of its targets (none achieved yet).
    """
    from simple_history.utils import bulk_create_with_history

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
        targets.append(kept)
        warnings += skipped
    if not items:
        return warnings
    bulk_create_with_history(items, CommitmentItem)
    for item, kept in zip(items, targets, strict=True):
        for target in kept:
            target.commitment = item
    Target.objects.bulk_create(target for kept in targets for target in kept)
    return warnings


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
