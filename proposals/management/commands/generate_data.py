"""Deterministic synthetic data at any scale, inserted in bulk.

Every proposal gets an answer from its lead department and a co-handler's opinion, each a
letter in the real format with numbered sections; each section becomes a commitment with
targets and an update history, as the importer would make it.
"""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from proposals import search
from proposals.models import (
    Committee,
    Department,
    Proposal,
    ProposalProposer,
    Proposer,
    Session,
    Topic,
)
from proposals.synthetic import CITIES, DEPARTMENTS, Composer
from replies.models import CommitmentItem, CommitmentUpdate, Reply, Target

BATCH = 1000
UPDATE_STATUSES = {
    "in_progress": ["in_progress"],
    "fulfilled": ["in_progress", "fulfilled"],
    "not_started": [],
}


class Command(BaseCommand):
    help = "Generate N synthetic proposals with replies, commitments, targets and updates."

    def add_arguments(self, parser):
        parser.add_argument("--proposals", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--draft-share", type=float, default=0.05, help="Share of replies left unpublished."
        )

    def handle(self, *args, **options):
        count, seed = options["proposals"], options["seed"]
        if count < 1:
            raise CommandError("--proposals 必须是正整数。")
        composer = Composer(seed)
        topic_keys = list(Topic.objects.values_list("key", flat=True))
        topics = {topic.key: topic.pk for topic in Topic.objects.all()}
        started = time.monotonic()
        committees, departments = self._reference_data()
        sessions: dict = {}
        proposers: dict[str, int] = dict(Proposer.objects.values_list("name", "pk"))
        existing_numbers = set(Proposal.objects.values_list("session_id", "number"))
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            batch = [composer.proposal(done + i, topic_keys) for i in range(size)]
            with transaction.atomic():
                self._insert(
                    batch,
                    committees,
                    departments,
                    sessions,
                    proposers,
                    topics,
                    existing_numbers,
                    composer,
                    options["draft_share"],
                )
            done += size
            if options["verbosity"] >= 1:
                rate = done / max(time.monotonic() - started, 1e-6)
                self.stderr.write(f"\r{done}/{count} proposals ({rate:.0f}/s)", ending="")
        self.stderr.write("")
        self.stdout.write(
            f"Generated {count} proposals in {time.monotonic() - started:.1f} s (seed {seed})."
        )

    def _reference_data(self):
        committees = {}
        for city in CITIES:
            for kind, suffix in (("cppcc", "政协"), ("congress", "人大")):
                name = f"{city}{suffix}"
                committee, _created = Committee.objects.get_or_create(
                    name=name, defaults={"kind": kind, "slug": name, "level": "city"}
                )
                committees[(city, kind)] = committee
        departments = {}
        wanted = [f"{city}{name}" for city in CITIES for name, _short in DEPARTMENTS]
        existing = dict(Department.objects.filter(name__in=wanted).values_list("name", "pk"))
        Department.objects.bulk_create(
            [Department(name=name) for name in wanted if name not in existing]
        )
        departments = dict(Department.objects.filter(name__in=wanted).values_list("name", "pk"))
        return committees, departments

    def _session(self, sessions, committees, item) -> int:
        key = (item.city, item.committee_kind, item.term, item.meeting)
        if key not in sessions:
            session, _created = Session.objects.get_or_create(
                committee=committees[(item.city, item.committee_kind)],
                term=item.term,
                meeting=item.meeting,
                defaults={"year": item.year},
            )
            sessions[key] = session.pk
        return sessions[key]

    def _insert(
        self,
        batch,
        committees,
        departments,
        sessions,
        proposers,
        topics,
        existing_numbers,
        composer,
        draft_share,
    ):
        random = composer.random
        now = timezone.now()
        new_names = {name for item in batch for name in item.proposers if name not in proposers}
        created = Proposer.objects.bulk_create([Proposer(name=name) for name in sorted(new_names)])
        proposers.update({proposer.name: proposer.pk for proposer in created})

        rows = []
        for item in batch:
            session_id = self._session(sessions, committees, item)
            number = item.number
            while (session_id, number) in existing_numbers:
                number = f"{number}-{random.randint(2, 99)}"
            existing_numbers.add((session_id, number))
            item.number = number
            lead = departments[item.replies[0].department]
            rows.append(
                Proposal(
                    session_id=session_id,
                    number=number,
                    kind=item.kind,
                    title=item.title,
                    lead_department_id=lead,
                    status=Proposal.Status.REPLIED,
                    assigned_on=item.replies[0].letter_date - datetime.timedelta(days=80),
                    reply_due=item.replies[0].letter_date + datetime.timedelta(days=10),
                )
            )
        proposals = Proposal.objects.bulk_create(rows)

        links, topic_links, replies, reply_sections = [], [], [], []
        topic_through = Proposal.topics.through
        co_through = Proposal.co_departments.through
        co_links = []
        for proposal, item in zip(proposals, batch, strict=True):
            links += [
                ProposalProposer(proposal_id=proposal.pk, proposer_id=proposers[name], position=i)
                for i, name in enumerate(dict.fromkeys(item.proposers))
            ]
            topic_links += [
                topic_through(proposal_id=proposal.pk, topic_id=topics[key])
                for key in item.topic_keys
                if key in topics
            ]
            co_links.append(
                co_through(
                    proposal_id=proposal.pk, department_id=departments[item.replies[1].department]
                )
            )
            for letter in item.replies:
                published = None
                if random.random() >= draft_share:
                    published = timezone.make_aware(
                        datetime.datetime.combine(letter.letter_date, datetime.time(9))
                    )
                replies.append(
                    Reply(
                        proposal_id=proposal.pk,
                        department_id=departments[letter.department],
                        role=letter.role,
                        title=letter.title,
                        doc_number=letter.doc_number,
                        letter_date=letter.letter_date,
                        body=letter.body,
                        classification=letter.classification if letter.role == "answer" else "",
                        published_at=published if published and published <= now else None,
                    )
                )
                reply_sections.append(letter.sections)
        ProposalProposer.objects.bulk_create(links)
        topic_through.objects.bulk_create(topic_links)
        co_through.objects.bulk_create(co_links)
        replies = Reply.objects.bulk_create(replies)

        commitments, section_of = [], []
        for reply, sections in zip(replies, reply_sections, strict=True):
            for section in sections:
                commitments.append(
                    CommitmentItem(
                        reply_id=reply.pk,
                        number=section.number,
                        marker=f"{section.number}、",
                        heading=section.heading,
                        text=section.text,
                        owner_id=reply.department_id,
                        due_on=section.due_on,
                        status=section.status,
                    )
                )
                section_of.append((section, reply.letter_date))
        commitments = CommitmentItem.objects.bulk_create(commitments)
        targets, updates = [], []
        for item, (section, letter_date) in zip(commitments, section_of, strict=True):
            for text, quantity, unit, due_on in section.targets:
                achieved = None
                if item.status != "not_started":
                    achieved = round(quantity * random.uniform(0.1, 1.1))
                targets.append(
                    Target(
                        commitment_id=item.pk,
                        text=text,
                        quantity=quantity,
                        unit=unit,
                        due_on=due_on,
                        achieved=achieved,
                    )
                )
            for step, status in enumerate(UPDATE_STATUSES[item.status], start=1):
                updates.append(
                    CommitmentUpdate(
                        commitment_id=item.pk,
                        date=letter_date + datetime.timedelta(days=60 * step),
                        status=status,
                        note="按计划推进，已完成阶段性任务。"
                        if status == "in_progress"
                        else "已全部完成。",
                    )
                )
        Target.objects.bulk_create(targets)
        CommitmentUpdate.objects.bulk_create(updates)
        self._index(proposals, batch, replies, {pk: name for name, pk in departments.items()})

    def _index(self, proposals, batch, replies, department_names):
        by_proposal: dict[int, list[Reply]] = {}
        for reply in replies:
            if reply.published_at is not None:
                by_proposal.setdefault(reply.proposal_id, []).append(reply)
        dates = []
        vectors = []
        for proposal, item in zip(proposals, batch, strict=True):
            published = by_proposal.get(proposal.pk, [])
            dates.append((proposal.pk, max((r.letter_date for r in published), default=None)))
            if search.uses_tsvector() and published:
                text = search.document_text(
                    title=proposal.title,
                    number=proposal.number,
                    proposers=item.proposers,
                    replies=[
                        (r.title, r.doc_number, department_names[r.department_id], r.body)
                        for r in published
                    ],
                )
                vectors.append((search.tsvector_literal(text), proposal.pk))
        Proposal.objects.bulk_update(
            [Proposal(pk=pk, replied_on=day) for pk, day in dates], ["replied_on"], batch_size=1000
        )
        if vectors:
            with connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE proposals_proposal SET search_vector = %s::tsvector WHERE id = %s",
                    vectors,
                )
