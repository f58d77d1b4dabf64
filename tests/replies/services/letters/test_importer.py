"""replies.services.letters.importer, the only import path: a letter becomes a proposal,
a reply and its commitments; importing is idempotent, atomic and updates in place; batches
store what one-by-one imports store."""

import json
import logging

import pytest
from django.db import connection

from proposals.models import Committee, Proposal, Session
from replies.models import CommitmentItem, CommitmentStatus, Reply, Target
from replies.selectors import public_proposals
from replies.services import progress, rating
from replies.services.letters import importer
from tests.helpers import EMPTY_LETTER, UNNAMED_LETTER, synthetic_letters, table_counts

pytestmark = pytest.mark.django_db


def test_seed_becomes_proposal_reply_and_five_commitments(seed):
    proposal = seed.proposal
    assert seed.outcome == "imported"
    assert proposal.number == "89"
    assert proposal.session.label == "十五届五次会议"
    assert proposal.session.committee.name == "临沂市政协"
    assert [p.name for p in proposal.proposers.all()] == ["王坤"]
    reply = seed.reply
    assert reply.is_published
    assert reply.index_number == "1342804570/kxjsj/2021-0000168"
    items = list(reply.commitments.order_by("number"))
    assert [item.number for item in items] == [1, 2, 3, 4, 5]
    assert items[3].heading == "关于“实施创新创业载体质量提升行动”"
    assert {(t.quantity, t.unit) for t in items[3].targets.all()} >= {
        (3, "家"),
        (20, "家"),
        (260, "万平方米"),
    }
    assert items[3].due_on is not None
    assert [item.topic.key for item in items] == [
        "funding",
        "talent",
        "enterprise",
        "incubator",
        "finance",
    ]


def test_same_letter_twice_changes_nothing(seed, seed_letter):
    before = table_counts()
    again = importer.import_letter(text=seed_letter)
    assert again.outcome == "unchanged"
    assert table_counts() == before


def test_corrected_letter_updates_in_place_and_keeps_update_history(seed, seed_letter):
    item = seed.reply.commitments.get(number=2)
    progress.post_update(commitment=item, status=CommitmentStatus.FULFILLED, note="已完成引才活动")
    corrected = seed_letter.replace(
        "加大各类高层次人才的引进力度", "加大各类高层次人才的引进和培养力度"
    )
    result = importer.import_letter(text=corrected)
    assert result.outcome == "updated"
    assert result.reply.pk == seed.reply.pk
    assert Proposal.objects.count() == 1 and Reply.objects.count() == 1
    item.refresh_from_db()
    assert "引进和培养力度" in item.text
    assert item.updates.count() == 1
    assert item.status == CommitmentStatus.FULFILLED


def test_new_letter_stores_what_the_update_path_would(seed):
    """A new reply's commitments are written in bulk; refreshing them changes nothing,
    and each has its history row as a one-by-one save would give it."""
    for item in seed.reply.commitments.all():
        before = (item.status, item.progress)
        progress.refresh_commitment(commitment=item)
        item.refresh_from_db()
        assert (item.status, item.progress) == before
        assert item.history.count() == 1
    assert Target.objects.filter(commitment__reply=seed.reply).count() >= 3


def test_import_queries_do_not_grow_with_sections(seed, seed_letter):
    """A new letter costs the same few queries whether it has five sections or two."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    five = seed_letter.replace("第89号", "第90号")
    head, rest = seed_letter.split("三、关于", 1)
    two = head.replace("第89号", "第91号") + "感谢您" + rest.split("感谢您", 1)[1]
    counts = []
    for text, sections in ((five, 5), (two, 2)):
        with CaptureQueriesContext(connection) as queries:
            result = importer.import_letter(text=text)
        assert result.outcome == "imported"
        assert result.reply.commitments.count() == sections
        counts.append(len(queries))
    # The same queries (the two-section letter has no targets: one insert fewer).
    assert counts[1] <= counts[0] <= counts[1] + 1
    # 24 for the letter itself, the roll-ups' recount of its cells (rollups.refresh), two
    # to move its proposal's page version (touch_pages: lock, update) and its 此前相关提案
    # (repeats.refresh: four, one of them a search of the committee's titles, and two to
    # move the pages whose list changed).
    assert counts[0] <= 42


def test_new_letter_after_unsatisfied_rating_supersedes_old_reply(seed, seed_letter):
    rating.rate_reply(reply=seed.reply, satisfaction="unsatisfied", comment="不满意")
    again = importer.import_letter(text=seed_letter.replace("力争新增", "确保新增"))
    assert again.reply.pk != seed.reply.pk
    assert again.reply.supersedes_id == seed.reply.pk
    assert Reply.objects.filter(proposal=seed.proposal).count() == 2


# ---------------------------------------------------------------------------
# Batches: many letters in one transaction (what the import command runs)
# ---------------------------------------------------------------------------


def stored_rows() -> dict[str, list]:
    """What imports stored, without primary keys and times, in a stable order."""
    proposals = [
        (
            p.session.committee.name,
            p.session.label,
            p.session.year,
            p.number,
            p.title,
            p.kind,
            p.status,
            p.lead_department.name,
            [link.proposer.name for link in p.proposalproposer_set.order_by("position")],
            sorted(p.topics.values_list("key", flat=True)),
            p.replied_on,
            p.history.count(),
        )
        for p in Proposal.objects.select_related("session__committee", "lead_department")
    ]
    replies = [
        (
            r.proposal.number,
            r.department.name,
            r.role,
            r.title,
            r.doc_number,
            r.letter_date,
            r.body,
            r.classification,
            r.source_hash,
            r.published_at is not None,
            r.supersedes.source_hash if r.supersedes else None,
            r.history.count(),
        )
        for r in Reply.objects.select_related("proposal", "department", "supersedes")
    ]
    commitments = [
        (
            c.reply.source_hash,
            c.number,
            c.marker,
            c.heading,
            c.text,
            json.dumps(c.statements, ensure_ascii=False),
            c.status,
            c.progress,
            c.topic.key if c.topic else None,
            c.due_on,
            c.owner.name,
            c.version,
            c.history.count(),
            sorted((t.text, t.quantity, t.unit, t.due_on, t.achieved) for t in c.targets.all()),
        )
        for c in CommitmentItem.objects.select_related("reply", "topic", "owner")
    ]
    return {
        "proposals": sorted(proposals, key=repr),
        "replies": sorted(replies, key=repr),
        "commitments": sorted(commitments, key=repr),
        "counts": table_counts(),
    }


def one_by_one(texts: list[str]) -> tuple[list[str], dict[str, list]]:
    """The outcomes and stored rows of importing ``texts`` one letter at a time; nothing is
    kept."""
    from django.db import transaction

    with transaction.atomic():
        outcomes = [importer.import_letter(text=text).outcome for text in texts]
        rows = stored_rows()
        transaction.set_rollback(True)
    return outcomes, rows


def batch_together(texts: list[str], caplog) -> list[str]:
    """The outcomes of ``import_letters_batch``, which must have imported the letters
    together (not one by one after a refusal)."""
    with caplog.at_level(logging.DEBUG, logger="replies.services"):
        outcomes = importer.import_letters(texts)
    assert "imported one by one" not in caplog.text
    return [outcome.outcome for outcome in outcomes]


def test_batch_stores_what_importing_one_by_one_stores(samples_dir, seed_letter, caplog):
    """Lookups shared and new replies written together, the rows are the same; a letter
    twice in a batch is unchanged the second time, a corrected one updates in place."""
    corrected = seed_letter.replace("加大各类高层次人才的引进力度", "加大人才引进和培养力度")
    texts = [path.read_text(encoding="utf-8") for path in sorted(samples_dir.glob("letters/*"))]
    texts += synthetic_letters(3) + [seed_letter, corrected]
    expected_outcomes, expected = one_by_one(texts)
    assert expected_outcomes[-2:] == ["unchanged", "updated"]
    assert batch_together(texts, caplog) == expected_outcomes
    assert stored_rows() == expected


def test_batch_on_proposals_imported_before_it(seed, seed_letter, samples_dir, caplog):
    """Proposals that were there before the batch: read at its start, then left unchanged,
    re-handled after 不满意 (a new answer superseding the old one), corrected in place
    with their proposers reordered, as one letter after the other would. A session known
    without its year gets the letter's."""
    from replies.models import Satisfaction

    rating.rate_reply(reply=seed.reply, satisfaction=Satisfaction.UNSATISFIED, comment="不够")
    committee = seed.proposal.session.committee
    Session.objects.create(committee=committee, term=15, meeting=4, year=None)
    letters = samples_dir / "letters"
    importer.import_letter(text=(letters / "003.txt").read_text(encoding="utf-8"))
    importer.import_letter(text=(letters / "007.txt").read_text(encoding="utf-8"))
    corrected = seed_letter.replace("加大各类高层次人才的引进力度", "加大人才引进和培养力度")
    texts = [
        seed_letter,
        corrected,
        corrected.replace("王坤委员:", "李明、王坤委员:"),
        (letters / "003.txt").read_text(encoding="utf-8"),
        (letters / "007.txt").read_text(encoding="utf-8").replace("我们", "我局"),
        seed_letter.replace("十五届五次会议", "十五届四次会议"),
    ]
    expected_outcomes, expected = one_by_one(texts)
    assert expected_outcomes == [
        "unchanged",
        "imported",
        "updated",
        "unchanged",
        "updated",
        "imported",
    ]
    assert batch_together(texts, caplog) == expected_outcomes
    assert stored_rows() == expected


def test_batch_keeps_the_good_letters_and_nothing_of_a_bad_one(seed_letter, caplog):
    """The letter in the middle is refused: it is reported and rolled back alone, and the
    letter after it, needing the same new committee, session and department, gets them."""
    good = [seed_letter, UNNAMED_LETTER]
    expected_outcomes, expected = one_by_one(good)
    with caplog.at_level(logging.DEBUG, logger="replies.services"):
        outcomes = importer.import_letters([seed_letter, EMPTY_LETTER, UNNAMED_LETTER])
    assert "3 letters imported one by one: 正文：此字段不能为空。" in caplog.text
    assert [outcome.outcome for outcome in outcomes] == ["imported", "failed", "imported"]
    assert outcomes[1].result is None
    assert outcomes[1].error == "正文：此字段不能为空。"
    assert stored_rows() == expected
    assert Committee.objects.filter(name="未注明地区政协").count() == 1


def test_batch_dry_run_stores_nothing(seed_letter):
    before = table_counts()
    outcomes = importer.import_letters([seed_letter, EMPTY_LETTER], dry_run=True)
    assert [outcome.outcome for outcome in outcomes] == ["imported", "failed"]
    assert table_counts() == before


def test_batch_queries_do_not_grow_with_sections(seed_letter):
    """A batch is read and written a few queries for all its letters: five-section letters
    cost what two-section letters cost, and eight letters what four cost."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    head, rest = seed_letter.split("三、关于", 1)
    short = head + "感谢您" + rest.split("感谢您", 1)[1]

    def batch(letter: str, numbers: range) -> int:
        texts = [letter.replace("第89号", f"第{number}号") for number in numbers]
        with CaptureQueriesContext(connection) as queries:
            outcomes = importer.import_letters(texts)
        assert {outcome.outcome for outcome in outcomes} == {"imported"}
        return len(queries)

    batch(seed_letter, range(1, 2))  # the committee, session, department and proposer
    five = batch(seed_letter, range(100, 104))
    two = batch(short, range(200, 204))
    eight = batch(seed_letter, range(300, 308))
    # The two-section letters have no targets: one insert fewer.
    assert two <= five <= two + 1
    assert CommitmentItem.objects.filter(reply__proposal__number="100").count() == 5
    assert CommitmentItem.objects.filter(reply__proposal__number="200").count() == 2
    # Four more letters cost no more queries (on SQLite, reindexing writes each
    # proposal's replied_on with a query of its own).
    assert eight - five <= 4


def test_batch_reindexes_once_and_the_letters_are_searchable(seed_letter):
    """A batch reindexes its proposals once, before committing, with both letters of a
    proposal in its text."""
    from replies.selectors import search_proposals

    answer, opinion = synthetic_letters(1)
    outcomes = importer.import_letters([answer, opinion])
    proposal = outcomes[0].result.proposal
    assert outcomes[1].result.proposal.pk == proposal.pk
    proposal.refresh_from_db()
    assert proposal.replied_on is not None
    public = public_proposals()
    for reply in Reply.objects.filter(proposal=proposal):
        words = reply.commitments.order_by("number").first().text[:6]
        assert list(search_proposals(public, words).values_list("pk", flat=True)) == [proposal.pk]


def test_a_letter_too_long_for_the_search_index_fails_no_one(seed_letter, samples_dir, client):
    """A letter whose words would pass PostgreSQL's tsvector limit is imported with a
    warning, searchable up to the limit, with a note on its page; its neighbour in the
    batch is imported as usual."""
    words = " ".join(f"ref{index:057d}" for index in range(2000))
    huge = seed_letter.replace("收悉。", f"收悉（{words}）。", 1)
    assert huge != seed_letter
    neighbour = (samples_dir / "letters" / "003.txt").read_text(encoding="utf-8")
    outcomes = importer.import_letters([huge, neighbour], unnamed_committee=True)
    assert [outcome.outcome for outcome in outcomes] == ["imported", "imported"]
    big, small = (outcome.result.proposal for outcome in outcomes)
    big.refresh_from_db()
    small.refresh_from_db()
    if connection.vendor == "postgresql":
        assert big.search_partial and not small.search_partial
        assert any("答复函过长" in warning for warning in outcomes[0].result.warnings)
        response = client.get(big.get_absolute_url())
        assert "站内搜索只能检索到其前面部分" in response.content.decode()
        assert big in public_proposals().filter(pk=big.pk)
    else:  # SQLite searches the text itself: nothing is partial
        assert not big.search_partial


def test_another_departments_letter_does_not_rename_the_proposal(seed, seed_letter):
    """Only the lead department's answer sets the proposal's title: a letter from another
    department about the same proposal (a co-handler's) keeps it."""
    proposal = seed.proposal
    other = (
        seed_letter.replace("临沂市科学技术局", "临沂市财政局")
        .replace("临沂市科技学技术局", "临沂市财政局")  # the signature's spelling
        .replace("关于强化科技创新引领", "关于改一改标题")
    )
    result = importer.import_letter(text=other)
    assert result.reply.department.name == "临沂市财政局"
    assert result.proposal.pk == proposal.pk
    proposal.refresh_from_db()
    assert proposal.title == "关于强化科技创新引领 推动全市经济高质量发展的建议"
    assert result.reply.department in proposal.co_departments.all()
