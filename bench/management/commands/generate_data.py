"""Deterministic synthetic data at any scale, inserted in bulk.

Every proposal gets an answer from its lead department and a co-handler's opinion, each a
letter in the real format with numbered sections; each section becomes a commitment with
targets and an update history, as the importer would make it. The same seed writes the
same texts; run it again to add more proposals (numbers never collide).

On PostgreSQL rows go in with COPY, their ids taken from the tables' own sequences first
so that children can point at parents without a round trip per row; the search vector and
``replied_on`` are computed here and written with the proposal, so nothing is updated
afterwards. Other databases (the SQLite demo) use ``bulk_create`` with the same rows.
"""

import datetime
import queue
import threading
import time
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from bench.synthetic import CITIES, DEPARTMENTS, REGIONS, Composer
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
from replies.models import CommitmentItem, CommitmentUpdate, Reply, Target
from replies.parsing.pii import mask_text
from replies.services.letters.importer import letter_fingerprint

BATCH = 1000
SATISFACTION = ["satisfied"] * 7 + ["basically"] * 2 + ["unsatisfied", ""]

PROPOSAL_COLUMNS = (
    "id",
    "session_id",
    "number",
    "number_stated",
    "kind",
    "title",
    "lead_department_id",
    "status",
    "assigned_on",
    "reply_due",
    "replied_on",
    "is_public",
    "created_at",
    "updated_at",
    "search_vector",
)
REPLY_COLUMNS = (
    "id",
    "proposal_id",
    "department_id",
    "role",
    "title",
    "doc_number",
    "index_number",
    "letter_date",
    "body",
    "public_body",
    "withdrawn_reason",
    "classification",
    "published_at",
    "source_url",
    "source_hash",
    "satisfaction",
    "satisfaction_comment",
    "created_at",
    "updated_at",
)
COMMITMENT_COLUMNS = (
    "id",
    "reply_id",
    "number",
    "marker",
    "heading",
    "text",
    "public_text",
    "promises",
    "derived",
    "statements",
    "topic_id",
    "owner_id",
    "due_on",
    "status",
    "progress",
    "created_at",
    "updated_at",
)
TARGET_COLUMNS = ("commitment_id", "text", "quantity", "unit", "due_on", "achieved")
UPDATE_COLUMNS = (
    "commitment_id",
    "date",
    "status",
    "note",
    "evidence_url",
    "attachment",
    "created_at",
)
PROPOSER_COLUMNS = ("id", "name", "kind", "affiliation")
LINK_COLUMNS = ("proposal_id", "proposer_id", "position")
TOPIC_LINK_COLUMNS = ("proposal_id", "topic_id")
CO_LINK_COLUMNS = ("proposal_id", "department_id")
ACHIEVED_SHARE = {
    "fulfilled": (1.0, 1.2),
    "partial": (0.4, 0.9),
    "in_progress": (0.1, 0.8),
    "not_fulfilled": (0.0, 0.4),
}


def at_nine(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


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
        started = time.monotonic()
        postgresql = connection.vendor == "postgresql"
        writer = CopyWriter() if postgresql else BulkWriter()
        builder = Builder(composer=Composer(seed), draft_share=options["draft_share"])
        # Outside a transaction (a normal run, not a test) PostgreSQL takes the rows from a
        # second thread on its own connection, so that Python writes the next batch while
        # the server stores the last one.
        pipelined = postgresql and not connection.in_atomic_block
        with Pipeline(writer.write_batch, threaded=pipelined) as pipeline:
            done = 0
            while done < count:
                size = min(BATCH, count - done)
                pipeline.put(builder.batch(done, size, writer))
                done += size
                if options["verbosity"] >= 1:
                    rate = done / max(time.monotonic() - started, 1e-6)
                    self.stderr.write(f"\r{done}/{count} proposals ({rate:.0f}/s)", ending="")
        if options["verbosity"] >= 1:
            self.stderr.write("")
        writer.finish()
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Generated {count} proposals in {elapsed:.1f} s "
            f"({count / max(elapsed, 1e-6):.0f}/s, seed {seed})."
        )


class Pipeline:
    """Hands batches to ``write``, in this thread or in one writer thread (in order)."""

    def __init__(self, write, *, threaded: bool) -> None:
        self.write = write
        self.threaded = threaded
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True) if threaded else None

    def __enter__(self) -> "Pipeline":
        if self.thread:
            self.thread.start()
        return self

    def put(self, rows) -> None:
        if not self.thread:
            self.write(rows)
            return
        if self.error:
            raise self.error
        self.queue.put(rows)

    def _run(self) -> None:
        try:
            while (rows := self.queue.get()) is not None:
                if self.error is None:
                    self.write(rows)
        except BaseException as error:  # noqa: BLE001 - re-raised in the main thread
            self.error = error
            while self.queue.get() is not None:
                pass
        finally:
            connection.close()

    def __exit__(self, *exc_info) -> None:
        if self.thread:
            self.queue.put(None)
            self.thread.join()
            if self.error and exc_info[0] is None:
                raise self.error


class Builder:
    """Turns composed proposals into table rows (tuples in the *_COLUMNS order)."""

    def __init__(self, *, composer: Composer, draft_share: float) -> None:
        self.composer = composer
        self.random = composer.random
        self.draft_share = draft_share
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.topic_keys = sorted(Topic.objects.values_list("key", flat=True))
        self.topics = dict(Topic.objects.values_list("key", "pk"))
        self.committees = self._committees()
        self.departments = self._departments()
        self.department_names = {pk: name for name, pk in self.departments.items()}
        self.sessions: dict = {}
        self.proposers: dict[str, int] = dict(
            Proposer.objects.order_by("-pk").values_list("name", "pk")
        )
        self.numbers = set(Proposal.objects.values_list("session_id", "number"))

    def _committees(self) -> dict:
        committees = {}
        for region in REGIONS:
            level = Committee.Level.CITY if region in CITIES else Committee.Level.COUNTY
            for kind, suffix in (("cppcc", "政协"), ("congress", "人大")):
                name = f"{region}{suffix}"
                committee, _created = Committee.objects.get_or_create(
                    name=name, defaults={"kind": kind, "slug": name, "level": level}
                )
                committees[(region, kind)] = committee
        return committees

    def _departments(self) -> dict[str, int]:
        wanted = [f"{region}{name}" for region in REGIONS for name, _s, _t in DEPARTMENTS]
        existing = set(Department.objects.filter(name__in=wanted).values_list("name", flat=True))
        Department.objects.bulk_create(
            [Department(name=name) for name in wanted if name not in existing]
        )
        return dict(Department.objects.filter(name__in=wanted).values_list("name", "pk"))

    def _session(self, item) -> int:
        key = (item.region, item.committee_kind, item.term, item.meeting)
        if key not in self.sessions:
            session, _created = Session.objects.get_or_create(
                committee=self.committees[(item.region, item.committee_kind)],
                term=item.term,
                meeting=item.meeting,
                defaults={"year": item.year},
            )
            self.sessions[key] = session.pk
        return self.sessions[key]

    def batch(self, start: int, size: int, writer) -> dict[str, list[tuple]]:
        r = self.random
        items = [self.composer.proposal(start + i, self.topic_keys) for i in range(size)]
        new_names = list(
            dict.fromkeys(n for item in items for n in item.proposers if n not in self.proposers)
        )
        rows: dict[str, list[tuple]] = {name: [] for name in TABLES}
        for name, pk in zip(new_names, writer.ids(Proposer, len(new_names)), strict=True):
            self.proposers[name] = pk
            rows["proposer"].append((pk, name, "member", ""))
        proposal_ids = writer.ids(Proposal, size)
        reply_ids = iter(writer.ids(Reply, 2 * size))
        sections = sum(len(letter.sections) for item in items for letter in item.replies)
        commitment_ids = iter(writer.ids(CommitmentItem, sections))
        for proposal_id, item in zip(proposal_ids, items, strict=True):
            session_id = self._session(item)
            number = item.number
            while (session_id, number) in self.numbers:
                number = f"{item.number}-{r.randint(2, 999)}"
            self.numbers.add((session_id, number))
            item.number = number
            answer = item.replies[0]
            topic_id = self.topics.get(item.topic_keys[0]) if item.topic_keys else None
            published = []
            for letter in item.replies:
                reply_id = next(reply_ids)
                department_id = self.departments[letter.department]
                published_at = None
                if r.random() >= self.draft_share:
                    published_at = at_nine(letter.letter_date)
                    if published_at > self.now:
                        published_at = None
                if published_at:
                    published.append(letter)
                created = at_nine(letter.letter_date)
                is_answer = letter.role == "answer"
                rows["reply"].append(
                    (
                        reply_id,
                        proposal_id,
                        department_id,
                        letter.role,
                        letter.title,
                        letter.doc_number,
                        letter.index_number,
                        letter.letter_date,
                        letter.body,
                        mask_text(letter.body),
                        "",
                        letter.classification if is_answer else "",
                        published_at,
                        "",
                        letter_fingerprint(letter.body),
                        r.choice(SATISFACTION) if is_answer and published_at else "",
                        "",
                        created,
                        created,
                    )
                )
                for section in letter.sections:
                    self._commitment(
                        rows,
                        next(commitment_ids),
                        reply_id,
                        department_id,
                        topic_id,
                        section,
                        letter,
                    )
            replied_on = max((letter.letter_date for letter in published), default=None)
            text = search.document_text(
                title=item.title,
                number=number,
                proposers=list(dict.fromkeys(item.proposers)),
                replies=[
                    (x.title, x.doc_number, x.department, mask_text(x.body)) for x in published
                ],
            )
            assigned = answer.letter_date - datetime.timedelta(days=r.randint(60, 90))
            rows["proposal"].append(
                (
                    proposal_id,
                    session_id,
                    number,
                    True,
                    item.kind,
                    item.title,
                    self.departments[answer.department],
                    "closed" if item.year < self.today.year - 2 else "replied",
                    assigned,
                    assigned + datetime.timedelta(days=90),
                    replied_on,
                    replied_on is not None,
                    at_nine(assigned),
                    at_nine(replied_on or answer.letter_date),
                    search.tsvector_literal(text) if writer.search_vectors else None,
                )
            )
            rows["link"] += [
                (proposal_id, self.proposers[name], position)
                for position, name in enumerate(dict.fromkeys(item.proposers))
            ]
            rows["topic"] += [(proposal_id, self.topics[key]) for key in item.topic_keys]
            rows["co"].append((proposal_id, self.departments[item.replies[1].department]))
        return rows

    def _commitment(self, rows, pk, reply_id, owner_id, topic_id, section, letter) -> None:
        r = self.random
        status, history = self.composer.history(
            section.status, letter.letter_date, section.due_on, self.today
        )
        percents = []
        for text, quantity, unit, due_on in section.targets:
            achieved = None
            if status in ACHIEVED_SHARE:
                low, high = ACHIEVED_SHARE[status]
                achieved = Decimal(round(quantity * r.uniform(low, high)))
                percents.append(min(100, int(achieved * 100 / quantity)))
            rows["target"].append((pk, text, Decimal(quantity), unit, due_on, achieved))
        progress = round(sum(percents) / len(percents)) if percents else 0
        if status == "fulfilled" and not section.targets:
            progress = 100
        created = at_nine(letter.letter_date)
        updated = at_nine(history[-1][0]) if history else created
        rows["commitment"].append(
            (
                pk,
                reply_id,
                section.number,
                f"{section.number}、",
                section.heading,
                section.text,
                mask_text(section.text),
                "[]",
                False,
                "[]",
                topic_id,
                owner_id,
                section.due_on,
                status,
                progress,
                created,
                updated,
            )
        )
        rows["update"] += [
            (pk, day, step, note, "", "", at_nine(day)) for day, step, note in history
        ]


# table key -> (model, columns); written in this order, parents before children.
TABLES = {
    "proposer": (Proposer, PROPOSER_COLUMNS),
    "proposal": (Proposal, PROPOSAL_COLUMNS),
    "link": (ProposalProposer, LINK_COLUMNS),
    "topic": (Proposal.topics.through, TOPIC_LINK_COLUMNS),
    "co": (Proposal.co_departments.through, CO_LINK_COLUMNS),
    "reply": (Reply, REPLY_COLUMNS),
    "commitment": (CommitmentItem, COMMITMENT_COLUMNS),
    "target": (Target, TARGET_COLUMNS),
    "update": (CommitmentUpdate, UPDATE_COLUMNS),
}


class CopyWriter:
    """PostgreSQL: ids from the sequences, rows through COPY."""

    search_vectors = True

    def ids(self, model, count: int) -> list[int]:
        if not count:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def write_batch(self, rows: dict[str, list[tuple]]) -> None:
        with transaction.atomic():
            self.write(rows)

    def write(self, rows: dict[str, list[tuple]]) -> None:
        with connection.cursor() as cursor:
            # Generated data can be made again: no need to wait for the disk on each batch.
            cursor.execute("SET LOCAL synchronous_commit = off")
            # A larger pending list lets the search index take each batch's entries in one
            # sorted merge (measured faster here than dropping and rebuilding the index).
            cursor.execute("SET LOCAL gin_pending_list_limit = '32MB'")
            cursor.execute("SET LOCAL work_mem = '128MB'")
            for key, (model, columns) in TABLES.items():
                if not rows[key]:
                    continue
                # Columns this command does not know (added by later features) get their
                # fields' defaults, as bulk_create would give them.
                extra = [
                    field
                    for field in model._meta.concrete_fields
                    if field.attname not in columns and not field.primary_key
                ]
                defaults = tuple(field.get_default() for field in extra)
                names = ", ".join(
                    [model._meta.get_field(c).column for c in columns]
                    + [field.column for field in extra]
                )
                sql = f"COPY {model._meta.db_table} ({names}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows[key]:
                        copy.write_row(row + defaults if defaults else row)

    def finish(self) -> None:
        # Fresh statistics and visibility maps, so the planner and index-only scans see
        # the new rows at once rather than after autovacuum gets round to them.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model, _columns in TABLES.values():
                cursor.execute(f"{command} {model._meta.db_table}")


class BulkWriter:
    """Other databases: the same rows through bulk_create, ids counted from the maximum."""

    search_vectors = False

    def __init__(self) -> None:
        self.next_ids: dict = {}

    def ids(self, model, count: int) -> list[int]:
        if model not in self.next_ids:
            last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
            self.next_ids[model] = (last or 0) + 1
        start = self.next_ids[model]
        self.next_ids[model] = start + count
        return list(range(start, start + count))

    def write_batch(self, rows: dict[str, list[tuple]]) -> None:
        with transaction.atomic():
            self.write(rows)

    def write(self, rows: dict[str, list[tuple]]) -> None:
        for key, (model, columns) in TABLES.items():
            attnames = [model._meta.get_field(c).attname for c in columns]
            if key == "commitment":
                rows[key] = [(*row[:6], [], *row[7:]) for row in rows[key]]
            instances = [model(**dict(zip(attnames, row, strict=True))) for row in rows[key]]
            model.objects.bulk_create(instances, batch_size=500)
            if model is CommitmentItem or model is Reply or model is Proposal:
                # auto_now and auto_now_add overwrote the generated times; put them back.
                times = {row[0]: (row[-2], row[-1]) for row in rows[key]}
                if model is Proposal:
                    times = {row[0]: (row[-3], row[-2]) for row in rows[key]}
                for instance in instances:
                    instance.created_at, instance.updated_at = times[instance.pk]
                model.objects.bulk_update(instances, ["created_at", "updated_at"], batch_size=500)

    def finish(self) -> None:
        pass
