"""Deterministic synthetic data at any scale, written through the services and nothing else.

Every proposal gets an answer from its lead department and a letter from a co-handling
department, both in the real format with numbered sections (``bench.synthetic``). They go
in as any letters do, through ``import_letters`` (parsed, placed, stored with history,
reindexed, the public-data version bumped), a chunk of proposals to a transaction, about
5% of the letters (and any dated after today) as drafts. Then, through the services
again, what happens to a proposal after its reply: the 交办 date it was assigned on
(``proposals.services.record_assignments``), progress updates with the targets' achieved
values (``progress.post_updates``), the proposer's rating of the answer
(``rating.rate_replies``; 不满意 sends the proposal back for re-handling) and, for
sessions more than two years old, closing it (``proposals.services.transition_all``).

Nothing here writes a row itself, so everything the services keep — ``is_public``,
``replied_on``, search vectors, promised dates, statuses and progress, history, the
public-data version — is kept for generated data too, however the models change. The
only help the importer gets is the parse: a run of more than one chunk parses the next
chunk's letters in a second process (``parse_letter``, pure Python, with the topic
keywords the importer would use) while this one imports the last, and hands the result
to ``import_letters`` as its ``Letter.parsed``.

Proposal ``i`` of a seed is always the same, with the same letters and the same fate; a
second run continues after the proposals already there, so numbers never collide.
"""

import datetime
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from bench.synthetic import Composer, SyntheticProposal
from proposals.models import Proposal, ProposalProposer, Proposer
from proposals.services import record_assignments, transition_all
from replies.models import CommitmentItem, CommitmentUpdate, Reply, Target
from replies.parsing import ParsedLetter, parse_letter
from replies.services.letters.importer import Letter, import_letters
from replies.services.letters.lookups import region_of, topic_keywords
from replies.services.progress import ProgressUpdate, post_updates
from replies.services.rating import Rating, rate_replies

# Proposals per transaction: 200 letters, imported in calls of about 100 (answers, then the
# co-handlers' letters), as the import_letters command imports a folder.
CHUNK = 100
SATISFACTION = ["satisfied"] * 7 + ["basically"] * 2 + ["unsatisfied", ""]
# Share of a target achieved when the commitment ends in each status.
ACHIEVED_SHARE = {
    "fulfilled": (1.0, 1.2),
    "partial": (0.4, 0.9),
    "in_progress": (0.1, 0.8),
    "not_fulfilled": (0.0, 0.4),
}
# Target.quantity and achieved hold 14 digits with 2 decimals.
MAX_ACHIEVED = Decimal("999999999999")
# A replied proposal of a session this many years before this one is closed (办结).
CLOSED_AFTER_YEARS = 2


@dataclass
class Plan:
    """A composed proposal and what will happen to it, drawn right after it."""

    index: int
    item: SyntheticProposal
    published: list[bool]  # per letter: answer, co-handler's
    assigned_on: datetime.date
    satisfaction: str
    # Per letter, per section number: the updates (date, status, note) and the share of
    # its targets achieved by the last one (None: none reported).
    progress: list[dict[int, tuple[list[tuple], float | None]]] = field(default_factory=list)
    parsed: list[ParsedLetter] = field(default_factory=list)  # per letter, when read ahead


class Command(BaseCommand):
    help = (
        "Generate N synthetic proposals (answer and co-handler's letter, commitments, "
        "targets, progress, ratings) through the import, progress, rating and workflow "
        "services."
    )

    def add_arguments(self, parser):
        parser.add_argument("--proposals", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--draft-share", type=float, default=0.05, help="Share of letters left unpublished."
        )

    def handle(self, *args, **options):
        count, seed = options["proposals"], options["seed"]
        if count < 1:
            raise CommandError("--proposals 必须是正整数。")
        started = time.monotonic()
        pool = nullcontext()
        if count > CHUNK and not connection.in_atomic_block:
            # Started first, so that it is forked without this process's connection.
            connection.close()
            pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            pool.submit(int).result()
        generator = Generator(composer=Composer(seed), draft_share=options["draft_share"])
        done = letters = 0
        with pool:
            parse = partial(parse_letter, topics=topic_keywords())
            ahead = generator.read_ahead(min(CHUNK, count), pool, parse)
            while ahead is not None:
                plans, parsed = ahead
                done += len(plans)
                ahead = generator.read_ahead(min(CHUNK, count - done), pool, parse)
                generator.write(plans, parsed)
                letters += sum(len(plan.item.replies) for plan in plans)
                if options["verbosity"] >= 1:
                    elapsed = max(time.monotonic() - started, 1e-6)
                    self.stderr.write(
                        f"\r{done}/{count} proposals ({done / elapsed:.1f}/s, "
                        f"{letters / elapsed:.0f} letters/s)",
                        ending="",
                    )
        if options["verbosity"] >= 1:
            self.stderr.write("")
        analyze()
        elapsed = max(time.monotonic() - started, 1e-6)
        self.stdout.write(
            f"Generated {count} proposals ({letters} letters) in {elapsed:.1f} s "
            f"({count / elapsed:.1f} proposals/s, {letters / elapsed:.1f} letters/s, seed {seed})."
        )


class Generator:
    def __init__(self, *, composer: Composer, draft_share: float) -> None:
        self.composer = composer
        self.draft_share = draft_share
        self.today = timezone.localdate()
        # After the proposals already there: a second run adds, it does not collide.
        self.next_index = Proposal.objects.count()

    def read_ahead(self, size: int, pool, parse):
        """The next ``size`` plans and their letters' parse (an iterator, running in
        ``pool`` if there is one), or None when there are no more."""
        if size <= 0:
            return None
        plans = self.plans(size)
        texts = [letter.body for plan in plans for letter in plan.item.replies]
        if isinstance(pool, ProcessPoolExecutor):
            return plans, pool.map(parse, texts, chunksize=len(texts))
        return plans, map(parse, texts)

    def plans(self, size: int) -> list[Plan]:
        """The next ``size`` proposals, skipping any whose number its session already has
        (one of the sample letters', say): importing it would answer that proposal."""
        plans: list[Plan] = []
        while len(plans) < size:
            wanted = [self.plan(self.next_index + i) for i in range(size - len(plans))]
            self.next_index += len(wanted)
            taken = self.taken(wanted)
            plans += [plan for plan in wanted if key_of(plan.item) not in taken]
        return plans

    def plan(self, index: int) -> Plan:
        composer, today = self.composer, self.today
        item = composer.proposal(index, [])
        r = composer.random
        plan = Plan(
            index=index,
            item=item,
            published=[
                r.random() >= self.draft_share and letter.letter_date <= today
                for letter in item.replies
            ],
            assigned_on=item.replies[0].letter_date - datetime.timedelta(days=r.randint(60, 90)),
            satisfaction=r.choice(SATISFACTION),
        )
        for letter in item.replies:
            sections = {}
            for section in letter.sections:
                status, steps = composer.history(
                    section.status, letter.letter_date, section.due_on, today
                )
                share = None
                if steps and status in ACHIEVED_SHARE:
                    share = r.uniform(*ACHIEVED_SHARE[status])
                sections[section.number] = (steps, share)
            plan.progress.append(sections)
        return plan

    @staticmethod
    def taken(plans: list[Plan]) -> set[tuple]:
        condition = Q()
        for plan in plans:
            committee, term, meeting, number = key_of(plan.item)
            condition |= Q(
                session__committee__name=committee,
                session__term=term,
                session__meeting=meeting,
                number=number,
            )
        return set(
            Proposal.objects.filter(condition).values_list(
                "session__committee__name", "session__term", "session__meeting", "number"
            )
        )

    def write(self, plans: list[Plan], parsed) -> None:
        """One chunk in one transaction: each service's own transaction is a savepoint in
        it, and a chunk is there whole or not at all."""
        parsed = iter(parsed)
        for plan in plans:
            plan.parsed = [next(parsed) for _letter in plan.item.replies]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # Generated data can be made again: no need to wait for the disk.
                    cursor.execute("SET LOCAL synchronous_commit = off")
                    # The search index takes each chunk's entries in one sorted merge.
                    cursor.execute("SET LOCAL gin_pending_list_limit = '32MB'")
            replies, proposals = self.import_letters(plans)
            self.assign(plans, proposals)
            self.post_progress(plans, replies)
            self.rate(plans, replies)
            self.close(plans, proposals)

    def import_letters(self, plans: list[Plan]) -> tuple[dict, dict]:
        """The letters in as few calls as publication allows: published and drafts apart,
        a proposal's answer before its co-handler's letter (the first letter of a
        proposal names its lead department), and both in one call where both are
        published or both drafts, so that the proposal is indexed once, not twice."""
        replies: dict[tuple[int, int], int] = {}  # (index, letter) → reply id
        proposals: dict[int, int] = {}  # index → proposal id
        together: dict[bool, list[tuple[Plan, int]]] = {True: [], False: []}
        after: dict[bool, list[tuple[Plan, int]]] = {True: [], False: []}
        for plan in plans:
            answer, co = plan.published
            together[answer].append((plan, 0))
            (together if co == answer else after)[co].append((plan, 1))
        for calls in (together, after):
            for publish, batch in calls.items():
                if not batch:
                    continue
                outcomes = import_letters(
                    [
                        Letter(text=plan.item.replies[letter].body, parsed=plan.parsed[letter])
                        for plan, letter in batch
                    ],
                    publish=publish,
                )
                for (plan, letter), outcome in zip(batch, outcomes, strict=True):
                    if outcome.outcome != "imported":
                        raise CommandError(
                            f"Proposal {plan.index}, letter {letter + 1}: "
                            f"{outcome.outcome} {outcome.error}".strip()
                        )
                    proposal_id = outcome.result.proposal.pk
                    if proposals.setdefault(plan.index, proposal_id) != proposal_id:
                        raise CommandError(
                            f"Proposal {plan.index}: the co-handler's letter was placed on "
                            "another proposal than the answer."
                        )
                    replies[(plan.index, letter)] = outcome.result.reply.pk
        return replies, proposals

    def assign(self, plans: list[Plan], proposals: dict[int, int]) -> None:
        record_assignments(
            {
                proposals[plan.index]: plan.assigned_on
                for plan in plans
                if plan.assigned_on <= self.today
            }
        )

    def post_progress(self, plans: list[Plan], replies: dict[tuple[int, int], int]) -> None:
        items = {
            (reply_id, number): pk
            for pk, reply_id, number in CommitmentItem.objects.filter(
                reply_id__in=list(replies.values())
            ).values_list("pk", "reply_id", "number")
        }
        targets: dict[int, list[tuple[int, Decimal]]] = {}
        for pk, commitment_id, quantity in (
            Target.objects.filter(commitment_id__in=list(items.values()))
            .order_by("pk")
            .values_list("pk", "commitment_id", "quantity")
        ):
            targets.setdefault(commitment_id, []).append((pk, quantity))
        updates = []
        for plan in plans:
            for letter, sections in enumerate(plan.progress):
                reply_id = replies[(plan.index, letter)]
                for number, (steps, share) in sections.items():
                    commitment_id = items.get((reply_id, number))
                    if commitment_id is None:
                        raise CommandError(
                            f"Proposal {plan.index}, letter {letter + 1}: no commitment {number}."
                        )
                    for position, (day, status, note) in enumerate(steps, 1):
                        achieved = {}
                        if position == len(steps) and share is not None:
                            achieved = {
                                pk: min(MAX_ACHIEVED, Decimal(round(float(quantity) * share)))
                                for pk, quantity in targets.get(commitment_id, [])
                            }
                        updates.append(
                            ProgressUpdate(
                                commitment_id=commitment_id,
                                status=status,
                                date=day,
                                note=note,
                                achieved=achieved,
                            )
                        )
        post_updates(updates)

    def rate(self, plans: list[Plan], replies: dict[tuple[int, int], int]) -> None:
        """The proposer rates the answer, once it is public."""
        rated = {replies[(plan.index, 0)]: plan.satisfaction for plan in plans if plan.satisfaction}
        answers = (
            Reply.objects.published()
            .filter(pk__in=list(rated))
            .select_related("proposal")
            .defer("proposal__search_vector")
            .order_by("pk")
        )
        rate_replies([Rating(reply=reply, satisfaction=rated[reply.pk]) for reply in answers])

    def close(self, plans: list[Plan], proposals: dict[int, int]) -> None:
        """Replied proposals of sessions long past are closed; those sent back for
        re-handling stay open."""
        old = [
            proposals[plan.index]
            for plan in plans
            if plan.item.year < self.today.year - CLOSED_AFTER_YEARS
        ]
        replied = (
            Proposal.objects.defer("search_vector")
            .filter(pk__in=old, status=Proposal.Status.REPLIED)
            .order_by("pk")
        )
        transition_all(proposals=list(replied), to=Proposal.Status.CLOSED)


def key_of(item: SyntheticProposal) -> tuple[str, int, int, str]:
    """(committee name, term, meeting, number) as the importer will place the answer: the
    committee of the region its signature names."""
    suffix = "政协" if item.committee_kind == "cppcc" else "人大"
    return (
        f"{region_of(item.replies[0].department)}{suffix}",
        item.term,
        item.meeting,
        item.number,
    )


# What generation writes to, for fresh planner statistics afterwards.
TABLES = [
    Proposer,
    Proposal,
    ProposalProposer,
    Proposal.topics.through,
    Proposal.co_departments.through,
    Proposal.history.model,
    Reply,
    Reply.history.model,
    CommitmentItem,
    CommitmentItem.history.model,
    Target,
    CommitmentUpdate,
]


def analyze() -> None:
    """Fresh statistics and visibility maps, so the planner and index-only scans see the
    new rows at once rather than after autovacuum gets round to them (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in TABLES:
            cursor.execute(f"{command} {model._meta.db_table}")
