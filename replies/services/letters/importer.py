"""Importing reply letters: one path for one letter or many."""

import dataclasses
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from core.roles import is_office
from core.versioning import bump_public_version
from proposals.models import (
    Committee,
    Department,
    Proposal,
    ProposalProposer,
    Proposer,
    Session,
    Topic,
    number_slug,
)
from proposals.services import free_slug, save_proposal
from replies.models import (
    CommitmentItem,
    Reply,
    Satisfaction,
    Target,
)
from replies.parsing import ParsedLetter, ParsedSection, parse_letter
from replies.parsing.text import remove_control_characters
from replies.services import privacy, repeats, rollups
from replies.services.class_check import fill_class_check
from replies.services.indexing import reindex_proposals
from replies.services.letters.lookups import ImportCache, region_of
from replies.services.progress import STATUS_PROGRESS, refresh_commitment, target_progress

logger = logging.getLogger(__name__)


@dataclass
class ImportResult:
    outcome: str  # "imported" | "updated" | "unchanged"
    proposal: Proposal
    reply: Reply
    warnings: list[str] = field(default_factory=list)


def letter_fingerprint(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


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


def _place_of(
    *,
    parsed: ParsedLetter,
    department: Department | None,
    cache: ImportCache,
    committee: Committee | None = None,
    unnamed_committee: bool = True,
) -> _Place:
    year = parsed.reply_date.year if parsed.reply_date else None
    agency = parsed.agency or (department.name if department else None)
    if committee is None:
        if not unnamed_committee and region_of(agency) is None:
            # Never under an invented "未注明地区…" committee unless someone chose it.
            raise LetterRefused(
                _(
                    "无法从答复单位“%(agency)s”判断属于哪个委员会：请在导入页面选择委员会，"
                    "或在命令中用 --committee 指定。"
                )
                % {"agency": agency or "—"},
                code="committee",
            )
        committee = cache.committee(agency=agency, kind=parsed.kind)
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
        "slug": number_slug(number),
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
        # (proposal, department, role) → the current reply read in prepare
        self.answers: dict[tuple[int, int, str], Reply] = {}
        self.answered: set[tuple[int, int, str]] = set()  # answered (again) by this batch
        self._clear()

    def _clear(self) -> None:
        self.replies: list[Reply] = []
        self.items: list[CommitmentItem] = []
        self.targets: list[Target] = []
        self.new_links: list[ProposalProposer] = []
        self.topics: dict[tuple[int, int], None] = {}
        self.handlers: dict[tuple[int, int], None] = {}

    def prepare(self, places: Sequence[_Place]) -> None:
        first: dict[tuple[int, str], _Place] = {}
        for place in places:
            first.setdefault(place.key, place)
        if not first:
            return
        wanted = Q()
        for (session_id, number), place in first.items():
            # The proposal itself, or another of its session holding the URL part its
            # number would get (269/2 and 269-2): one query for both.
            wanted |= Q(session_id=session_id) & (Q(number=number) | Q(slug=place.defaults["slug"]))
        taken = set()
        # The search vector (18 kB on average) is rewritten by reindexing, never read here.
        for proposal in Proposal.objects.defer("search_vector").filter(wanted):
            key = (proposal.session_id, proposal.number)
            if key in first:
                self.proposals[key] = proposal
            taken.add((proposal.session_id, proposal.slug))
        existing = [proposal.pk for proposal in self.proposals.values()]
        # In key order, so that two imports creating the same proposals wait rather than
        # deadlock.
        new = [
            Proposal(session=place.session, number=place.number, **place.defaults)
            for key, place in sorted(first.items())
            if key not in self.proposals
        ]
        _free_slugs(new, taken)
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
                .filter(proposal_id__in=existing)
                .filter(superseded_by__isnull=True)
                .order_by("-pk")
            )
            for reply in answers:
                self.answers.setdefault((reply.proposal_id, reply.department_id, reply.role), reply)

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

    def current_answer(
        self, *, proposal: Proposal, department: Department, role: str
    ) -> Reply | None:
        key = (proposal.pk, department.pk, role)
        if key in self.answered:
            self.flush()
            return _current_answer(proposal=proposal, department=department, role=role)
        return self.answers.get(key)

    def add_reply(
        self, *, reply: Reply, items: list[CommitmentItem], targets: list[Target]
    ) -> None:
        self.replies.append(reply)
        self.items += items
        self.targets += targets
        self.answered.add((reply.proposal_id, reply.department_id, reply.role))

    def add_topics(self, *, proposal: Proposal, topics: Iterable[Topic]) -> None:
        for topic in topics:
            self.topics[(proposal.pk, topic.pk)] = None

    def add_handler(self, *, proposal: Proposal, department: Department) -> None:
        self.handlers[(proposal.pk, department.pk)] = None

    def flush(self) -> None:
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
        if self.handlers:
            through = Proposal.co_departments.through
            through.objects.bulk_create(
                [through(proposal_id=p, department_id=d) for p, d in self.handlers],
                ignore_conflicts=True,
            )
        self._clear()


def _import_letter(
    *,
    text: str,
    parsed: ParsedLetter | None,
    source_url: str,
    publish: bool,
    force: bool,
    department: Department | None,
    cache: ImportCache,
    actor=None,
    batch: _Batch | None = None,
    place: _Place | None = None,
) -> ImportResult:
    """One letter, inside the caller's transaction and without reindexing; with ``batch``
    (and the ``place`` it was prepared for) as one of the letters imported together."""
    topics = cache.topics()
    if parsed is None:
        parsed = parse_letter(text, topics=cache.topic_keywords())
    fingerprint = letter_fingerprint(text)
    place = place or _place_of(parsed=parsed, department=department, cache=cache)
    department = place.department
    title = place.defaults["title"]
    role = parsed.reply_role if parsed.reply_role in Reply.Role.values else Reply.Role.ANSWER
    # Numbered sections, or — a letter without them — one commitment per paragraph that
    # promises something (marked as derived).
    sections = parsed.sections or parsed.derived_sections
    if batch is None:
        proposal, proposal_created = _get_or_create_proposal(
            session=place.session, number=place.number, defaults=place.defaults
        )
    else:
        proposal, proposal_created = batch.proposal(place)
    if actor is not None and not proposal_created and not _may_answer(actor, proposal):
        raise LetterRefused(
            _(
                "这封答复函对应的提案（%(proposal)s）由其他承办单位办理，您不能导入或修改它的答复。"
                "如确属本单位办理，请联系提案委调整承办单位。"
            )
            % {"proposal": f"{proposal.session}{proposal.number_label}"},
            code="other_department",
        )
    if proposal.lead_department_id not in (None, department.pk):
        # Every department that answers handles the proposal (a co-handler's opinion).
        if batch is None:
            proposal.co_departments.add(department)
        else:
            batch.add_handler(proposal=proposal, department=department)
    # The proposal's title and lead department follow the lead department's answer only: a
    # co-handler's opinion, or another department's letter, never renames the proposal.
    leads = proposal.lead_department_id in (None, department.pk) and role == Reply.Role.ANSWER
    lead_set = False
    if (
        not proposal_created
        and leads
        and (proposal.title != title or proposal.lead_department_id is None)
    ):
        changed = {"title"} if proposal.title != title else set()
        proposal.title = title
        if proposal.lead_department_id is None:
            proposal.lead_department = department
            changed.add("lead_department")
            lead_set = True
        # Its 办复率 cell is recounted with the import's replies (rollups.public_change).
        save_proposal(proposal=proposal, changed=changed, actor=actor, recount=False)
    proposers = cache.proposers(parsed.proposers)
    if batch is None:
        _link_proposers(proposal=proposal, proposers=proposers, created=proposal_created)
    else:
        batch.link_proposers(proposal=proposal, proposers=proposers)

    reply = None
    if not proposal_created:
        if batch is None:
            reply = _current_answer(proposal=proposal, department=department, role=role)
        else:
            reply = batch.current_answer(proposal=proposal, department=department, role=role)
    if reply is not None and reply.source_hash == fingerprint and not force and not lead_set:
        # (A lead department set again makes it an update: its 办复率 cell is recounted.)
        return ImportResult("unchanged", proposal, reply, list(parsed.warnings))
    previous = None
    if reply is not None and reply.satisfaction == Satisfaction.UNSATISFIED:
        # Re-handling (退回重办): the new letter is a new reply; the old one stays as history.
        previous, reply = reply, None
    outcome = "imported" if reply is None else "updated"
    reply = reply or Reply(proposal=proposal, department=department, role=role, supersedes=previous)
    reply.title = (parsed.title or "")[:300]
    reply.doc_number = (parsed.doc_number or "")[:100]
    reply.index_number = (parsed.index_number or "")[:100]
    reply.letter_date = parsed.reply_date
    reply.source_published_on = parsed.publish_date
    reply.body = parsed.body
    # What the public reads: personal data masked, as the office decided for this reply.
    decisions = privacy.decisions_of(reply)
    reply.public_body = privacy.masked(reply.body, decisions)
    reply.classification = parsed.classification or ""
    fill_class_check(reply, parsed)
    reply.source_url = source_url[:500]
    reply.source_hash = fingerprint
    if reply.pk is not None and reply.was_published and actor is not None and not is_office(actor):
        raise LetterRefused(
            _(
                "这件答复已经公开，承办单位不能用新的答复函直接替换它："
                "请在答复页面提交修改，由提案委审核后公开。"
            ),
            code="published",
        )
    if publish and reply.published_at is None:
        # Published on import (the importer is the publication service for new letters):
        # the dates promised are recorded below with the commitments.
        reply.published_at = timezone.now()
    # Field checks only: the table's check constraints hold every value set here, and
    # checking them through Django costs a query each.
    reply.clean_fields(exclude=["proposal", "department", "supersedes"])
    warnings = list(parsed.warnings)
    if outcome == "imported":
        items, targets, skipped = _new_commitments(
            reply=reply, sections=sections, owner=department, topics=topics, decisions=decisions
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
            reply=reply, sections=sections, owner=department, topics=topics, decisions=decisions
        )
        if batch is not None:
            batch.answered.add((proposal.pk, department.pk, role))  # read it back from now on
    letter_topics = [
        topics[key] for key in dict.fromkeys(s.topic for s in sections) if key in topics
    ]
    if letter_topics:
        if batch is None:
            proposal.topics.add(*letter_topics)
        else:
            batch.add_topics(proposal=proposal, topics=letter_topics)
    return ImportResult(outcome, proposal, reply, warnings)


def _may_answer(actor, proposal: Proposal) -> bool:
    return Proposal.objects.editable_by(actor).filter(pk=proposal.pk).exists()


def _current_answer(*, proposal: Proposal, department: Department, role: str) -> Reply | None:
    """The department's answer that a new letter replaces or updates (locked until commit)."""
    return (
        Reply.objects.select_for_update(of=("self",))
        .filter(proposal=proposal, department=department, role=role)
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


@dataclass(frozen=True)
class Letter:
    """One letter to import, and what staff corrected in its preview."""

    text: str
    # The letter as read, corrected in the preview; read from ``text`` when absent.
    parsed: ParsedLetter | None = None
    # Apply ``parsed`` even when the text is unchanged (staff corrected the preview).
    force: bool = False
    # The replying department, whatever the signature says (a clerk's own).
    department: Department | None = None
    # The committee staff chose in the preview (read from the agency's region otherwise).
    committee: Committee | None = None


class LetterRefused(ValidationError):
    """The letter was refused and nothing of it was stored."""


def import_letters(
    letters: Sequence[Letter | str],
    *,
    source_url: str = "",
    publish: bool = True,
    dry_run: bool = False,
    actor=None,
    unnamed_committee: bool = True,
) -> list[BatchOutcome]:
    """Turn reply letters into proposals, replies and commitments: the one import path,
    for one letter (the admin's import is a batch of one) or many (``import_letters``).

    Idempotent: the same letter twice changes nothing; a corrected letter (same proposal,
    department and role) updates the reply in place and keeps its commitments' updates.

    One transaction; a letter that is refused fails alone. First all letters are imported
    together: lookups shared, new replies and their commitments written a few queries for
    the whole batch. If validation or the database refuses anything, that attempt is
    rolled back and the letters are imported one by one, each in a savepoint of its own,
    so a bad letter leaves nothing and is reported while the others are kept. The
    proposals touched are reindexed once, before the commit: public pages see the whole
    batch with its search entries, or none of it. If the batch as a whole fails (the
    database went away), every letter is reported failed and nothing is kept.
    ``dry_run`` does all of it, then rolls back. ``unnamed_committee=False`` refuses a letter
    whose committee can be neither read (the agency's region) nor was chosen, rather than
    filing it under "未注明地区…". With an ``actor`` (the admin's user), a
    letter for a proposal the actor may not work on is refused (a clerk's, of another
    department's proposal); commands and jobs import as the system.
    """
    if not letters:
        return []
    letters = [Letter(text=item) if isinstance(item, str) else item for item in letters]
    cache = ImportCache()
    keywords = cache.topic_keywords()
    letters, removed = zip(
        *(_without_control_characters(letter) for letter in letters), strict=True
    )
    parsed = [
        _with_note(letter.parsed or parse_letter(letter.text, topics=keywords), count)
        for letter, count in zip(letters, removed, strict=True)
    ]
    outcomes: list[BatchOutcome] = []
    try:
        with transaction.atomic():
            options = {
                "source_url": source_url,
                "publish": publish,
                "actor": actor,
                "unnamed_committee": unnamed_committee,
            }
            outcomes = _import_together(letters, parsed, cache, **options)
            if outcomes is None:
                outcomes = _import_one_by_one(letters, parsed, **options)
            touched = {
                outcome.result.proposal.pk: None
                for outcome in outcomes
                if outcome.result is not None and outcome.outcome != "unchanged"
            }
            if touched:
                partial = reindex_proposals(list(touched))
                # 此前相关提案 of the batch: a job after the commit (one search of the
                # committee's titles per proposal would slow a batch import down).
                repeats.refresh_after_commit(list(touched))
                for outcome in outcomes:
                    if outcome.result is not None and outcome.result.proposal.pk in partial:
                        outcome.result.warnings.append(
                            str(
                                _(
                                    "答复函过长，超出检索索引的上限：站内搜索只能检索到其前面部分，"
                                    "提案页面上会注明。"
                                )
                            )
                        )
                # The new replies' cells, and those of the replies they supersede (no
                # longer counted as the answer; their department may differ).
                written = [
                    outcome.result.reply
                    for outcome in outcomes
                    if outcome.result is not None and outcome.outcome != "unchanged"
                ]
                # Their proposals' pages, before the tallies' lock (rollups.public_change's
                # order): the published letters show there.
                rollups.touch_pages(
                    replies=[reply.pk for reply in written if reply.published_at is not None]
                )
                rollups.refresh(
                    rollups.cells_of(
                        replies=[reply.pk for reply in written]
                        + [reply.supersedes_id for reply in written if reply.supersedes_id]
                    )
                )
            if any(
                outcome.result is not None and outcome.outcome != "unchanged"
                for outcome in outcomes
            ):
                # Last: the new letters are public, or (drafts) their proposals count in
                # their lead departments' 办复率 as assigned and not yet replied.
                bump_public_version(scoped=True)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except DatabaseError as error:
        # Outside any letter (reindexing, committing): the whole batch is rolled back.
        reason = failure_reason(error)
        errors = [outcome.error for outcome in outcomes or []]
        errors += [""] * (len(letters) - len(errors))
        return [BatchOutcome("failed", error=own or reason) for own in errors]
    return outcomes


def _without_control_characters(letter: Letter) -> tuple[Letter, int]:
    text, count = remove_control_characters(letter.text)
    return (dataclasses.replace(letter, text=text) if count else letter), count


def _with_note(parsed: ParsedLetter, removed: int) -> ParsedLetter:
    if not removed:
        return parsed
    note = str(
        _("已删除答复函中的 %(count)d 个控制字符（不可见的特殊字符）。") % {"count": removed}
    )
    return dataclasses.replace(parsed, warnings=(*parsed.warnings, note))


def import_letter(
    *,
    text: str,
    parsed: ParsedLetter | None = None,
    source_url: str = "",
    publish: bool = True,
    force: bool = False,
    department: Department | None = None,
    committee: Committee | None = None,
    actor=None,
) -> ImportResult:
    """One letter through ``import_letters``; ``LetterRefused`` (nothing stored) if it is
    refused."""
    letter = Letter(
        text=text, parsed=parsed, force=force, department=department, committee=committee
    )
    [outcome] = import_letters([letter], source_url=source_url, publish=publish, actor=actor)
    if outcome.result is None:
        raise LetterRefused(outcome.error, code="refused")
    return outcome.result


def _import_together(
    letters: Sequence[Letter],
    parsed: Sequence[ParsedLetter],
    cache: ImportCache,
    *,
    source_url: str,
    publish: bool,
    actor,
    unnamed_committee: bool,
) -> list[BatchOutcome] | None:
    """All letters in one savepoint, read and written together (``_Batch``); None, and
    nothing kept, if any of them is refused."""
    try:
        with transaction.atomic():
            cache.prepare(parsed)
            places = [
                _place_of(
                    parsed=read,
                    department=letter.department,
                    cache=cache,
                    committee=letter.committee,
                    unnamed_committee=unnamed_committee,
                )
                for letter, read in zip(letters, parsed, strict=True)
            ]
            batch = _Batch()
            batch.prepare(places)
            results = [
                _import_letter(
                    text=letter.text,
                    parsed=read,
                    source_url=source_url,
                    publish=publish,
                    force=letter.force,
                    department=letter.department,
                    cache=cache,
                    actor=actor,
                    batch=batch,
                    place=place,
                )
                for letter, read, place in zip(letters, parsed, places, strict=True)
            ]
            batch.flush()
    except (ValidationError, DatabaseError) as error:
        logger.debug("%d letters imported one by one: %s", len(letters), failure_reason(error))
        return None
    return [BatchOutcome(result.outcome, result) for result in results]


def _import_one_by_one(
    letters: Sequence[Letter],
    parsed: Sequence[ParsedLetter],
    *,
    source_url: str,
    publish: bool,
    actor,
    unnamed_committee: bool,
) -> list[BatchOutcome]:
    """Each letter in its own savepoint: one that is refused is rolled back and reported."""
    cache = ImportCache()
    outcomes = []
    for letter, read in zip(letters, parsed, strict=True):
        try:
            with transaction.atomic():
                result = _import_letter(
                    text=letter.text,
                    parsed=read,
                    source_url=source_url,
                    publish=publish,
                    force=letter.force,
                    department=letter.department,
                    cache=cache,
                    actor=actor,
                    place=_place_of(
                        parsed=read,
                        department=letter.department,
                        cache=cache,
                        committee=letter.committee,
                        unnamed_committee=unnamed_committee,
                    ),
                )
        except (ValidationError, DatabaseError) as error:
            cache.discard()  # the savepoint was rolled back, with what it created
            outcomes.append(BatchOutcome("failed", error=failure_reason(error)))
        except BaseException:
            cache.discard()
            raise
        else:
            cache.keep()
            outcomes.append(BatchOutcome(result.outcome, result))
    return outcomes


def _free_slugs(proposals: list[Proposal], taken: set[tuple[int, str]]) -> None:
    """New proposals' URL parts, unique in their session: ``taken`` holds the (session,
    slug) pairs of the stored proposals they could clash with."""
    for proposal in proposals:
        key = (proposal.session_id, proposal.slug)
        if key in taken:
            proposal.slug = free_slug(
                session_id=proposal.session_id,
                number=proposal.number,
                taken={slug for session_id, slug in taken if session_id == proposal.session_id},
            )
            key = (proposal.session_id, proposal.slug)
        taken.add(key)


def _get_or_create_proposal(*, session: Session, number: str, defaults: dict):
    """get_or_create that lets the unique constraint decide between simultaneous imports."""
    # The search vector (18 kB on average) is rewritten by reindexing, never read here.
    proposals = Proposal.objects.defer("search_vector")
    proposal = proposals.filter(session=session, number=number).first()
    if proposal is not None:
        return proposal, False
    defaults = {**defaults, "slug": free_slug(session_id=session.pk, number=number)}
    try:
        with transaction.atomic():
            return Proposal.objects.create(session=session, number=number, **defaults), True
    except IntegrityError:
        return proposals.get(session=session, number=number), False


def _section_fields(
    item: CommitmentItem, section: ParsedSection, topics: dict, decisions: tuple
) -> None:
    item.marker = section.marker[:20]
    item.heading = (section.heading or "")[:300]
    item.text = section.text
    item.public_text = privacy.masked(section.text, decisions)
    item.derived = section.derived
    item.promises = [
        {
            "text": promise.text,
            "deadline": promise.deadline.isoformat() if promise.deadline else None,
            "firm": promise.firm,
            "targets": [
                {"text": target.text, "quantity": str(target.quantity), "unit": target.unit}
                for target in promise.targets
            ],
        }
        for promise in section.promises
    ]
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
    *,
    reply: Reply,
    sections: Sequence[ParsedSection],
    owner: Department,
    topics: dict,
    decisions: tuple,
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
        _section_fields(item, section, topics, decisions)
        if reply.published_at is not None:
            item.promised_on = item.due_on
        kept, skipped = _targets_of(item=item, section=section, achieved={})
        progress = target_progress(kept)
        item.progress = STATUS_PROGRESS.get(item.status, 0) if progress is None else progress
        items.append(item)
        targets += kept
        warnings += skipped
    return items, targets, warnings


def _write_commitments(*, items: list[CommitmentItem], targets: list[Target]) -> None:
    """Commitments (with their history rows) and targets in a query each."""
    if items:
        bulk_create_with_history(items, CommitmentItem)
    if targets:
        Target.objects.bulk_create(targets)


def _sync_commitments(
    *,
    reply: Reply,
    sections: Sequence[ParsedSection],
    owner: Department,
    topics: dict,
    decisions: tuple,
) -> list[str]:
    warnings: list[str] = []
    existing = {item.number: item for item in reply.commitments.prefetch_related("targets")}
    published = reply.was_published
    for section in sections:
        item = existing.pop(section.number, None)
        is_new = item is None
        item = item or CommitmentItem(reply=reply, number=section.number, owner=owner)
        due_on = item.due_on
        _section_fields(item, section, topics, decisions)
        if is_new:
            item.status = section.suggested_status
        else:
            item.version += 1
            if published and item.due_on != due_on:
                # A published date moves only by an approved change (deadlines service).
                warnings.append(
                    str(
                        _(
                            "第%(number)d项承诺的期限在新的答复函中变为%(new)s；已公开的期限不随导入改变，"
                            "如需变更请提交期限变更申请。"
                        )
                    )
                    % {"number": item.number, "new": item.due_on or "—"}
                )
                item.due_on = due_on
        if published and item.promised_on is None:
            item.promised_on = item.due_on
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
