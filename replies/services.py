"""Writes that span more than one row. The admin, commands and public forms call these."""

import datetime
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
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
from replies.models import CommitmentItem, CommitmentUpdate, Reply, Target
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
    if progress is not None and progress != commitment.progress:
        commitment.progress = progress
        fields.append("progress")
    if fields:
        fields.append("updated_at")
        commitment.save(update_fields=fields)
    return commitment


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


@transaction.atomic
def publish_reply(*, reply: Reply, when: datetime.datetime | None = None) -> Reply:
    from proposals.search import reindex_proposals

    reply.published_at = when or timezone.now()
    reply.save(update_fields=["published_at", "updated_at"])
    reindex_proposals([reply.proposal_id])
    return reply


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
    for committee in Committee.objects.filter(kind=committee_kind):
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
    proposers = []
    for name in names:
        proposer = Proposer.objects.filter(name=name).order_by("pk").first()
        proposers.append(proposer or Proposer.objects.create(name=name))
    return proposers


def topic_keywords() -> dict[str, list[str]] | None:
    """The configurable topic list, or None to let the parser use its defaults."""
    topics = {topic.key: topic.keyword_list for topic in Topic.objects.all()}
    return {key: words for key, words in topics.items() if words} or None


@transaction.atomic
def import_letter(
    *,
    text: str,
    parsed: ParsedLetter | None = None,
    source_url: str = "",
    publish: bool = True,
    force: bool = False,
) -> ImportResult:
    """Turn a reply letter into a proposal, a reply and its commitments, in one transaction.

    Idempotent: the same letter twice changes nothing; a corrected letter (same proposal,
    department and role) updates the reply in place and keeps its commitments' updates.
    ``force`` applies ``parsed`` even to an unchanged text (staff corrected the preview).
    """
    if parsed is None:
        parsed = parse_letter(text, topics=topic_keywords())
    fingerprint = letter_fingerprint(text)
    year = parsed.reply_date.year if parsed.reply_date else None
    committee = committee_for(agency=parsed.agency, kind=parsed.kind)
    session = session_for(committee=committee, label=parsed.session, year=year)
    department = department_for(parsed.agency)
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
    if not proposal_created:
        proposal.title = str(title)[:300]
        if proposal.lead_department_id is None:
            proposal.lead_department = department
        proposal.save(update_fields=["title", "lead_department", "updated_at"])
    proposers = proposers_for(parsed.proposers)
    for position, proposer in enumerate(proposers):
        ProposalProposer.objects.update_or_create(
            proposal=proposal, proposer=proposer, defaults={"position": position}
        )

    reply = (
        Reply.objects.select_for_update(of=("self",))
        .filter(proposal=proposal, department=department, role=Reply.Role.ANSWER)
        .filter(superseded_by__isnull=True)
        .order_by("-pk")
        .first()
    )
    if reply is not None and reply.source_hash == fingerprint and not force:
        return ImportResult("unchanged", proposal, reply, list(parsed.warnings))
    outcome = "imported" if reply is None else "updated"
    reply = reply or Reply(proposal=proposal, department=department, role=Reply.Role.ANSWER)
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
    reply.full_clean(exclude=["proposal", "department", "supersedes"])
    reply.save()
    _sync_commitments(reply=reply, sections=parsed.sections, owner=department)
    topics = Topic.objects.filter(
        key__in={section.topic for section in parsed.sections if section.topic}
    )
    proposal.topics.add(*topics)
    from proposals.search import reindex_proposals

    reindex_proposals([proposal.pk])
    return ImportResult(outcome, proposal, reply, list(parsed.warnings))


def _get_or_create_proposal(*, session: Session, number: str, defaults: dict):
    """get_or_create that lets the unique constraint decide between simultaneous imports."""
    try:
        with transaction.atomic():
            return Proposal.objects.get_or_create(session=session, number=number, defaults=defaults)
    except IntegrityError:
        return Proposal.objects.get(session=session, number=number), False


def _sync_commitments(
    *, reply: Reply, sections: Sequence[ParsedSection], owner: Department
) -> None:
    existing = {item.number: item for item in reply.commitments.prefetch_related("targets")}
    topics = {topic.key: topic for topic in Topic.objects.all()}
    for section in sections:
        item = existing.pop(section.number, None)
        is_new = item is None
        item = item or CommitmentItem(reply=reply, number=section.number, owner=owner)
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
        if is_new:
            item.status = section.suggested_status
        item.save()
        _sync_targets(item=item, section=section)
        if not is_new:
            refresh_commitment(commitment=item)
    # Sections gone from a corrected letter: drop them unless progress was reported on them.
    for item in existing.values():
        if not item.updates.exists():
            item.delete()


def _sync_targets(*, item: CommitmentItem, section: ParsedSection) -> None:
    achieved = {target.text: target.achieved for target in item.targets.all()}
    item.targets.all().delete()
    Target.objects.bulk_create(
        Target(
            commitment=item,
            text=target.text[:300],
            quantity=target.quantity,
            unit=target.unit[:20],
            due_on=target.deadline,
            achieved=achieved.get(target.text[:300]),
        )
        for target in section.targets
        if target.quantity > 0
    )
