"""Synthetic data: deterministic, in the real letter format, and written through the services
alone, so that it holds what the services keep."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Exists, OuterRef

from bench.management.commands import generate_data
from bench.management.commands.generate_data import Command as GenerateData
from bench.synthetic import Composer
from core.versioning import public_version
from proposals import search
from proposals.models import Proposal
from proposals.services import add_months
from replies.models import CommitmentItem, CommitmentUpdate, Reply
from replies.parsing import parse_letter
from replies.selectors import public_proposals, search_proposals
from replies.services import indexing
from replies.services.letters.importer import letter_fingerprint
from replies.services.progress import STATUS_PROGRESS, latest_update, target_progress

TOPICS = ["innovation", "education", "health", "transport", "finance"]


def test_same_seed_writes_the_same_letters():
    first = [Composer(7).proposal(i, TOPICS) for i in range(3)]
    again = [Composer(7).proposal(i, TOPICS) for i in range(3)]
    other = [Composer(8).proposal(i, TOPICS) for i in range(3)]
    assert [p.replies[0].body for p in first] == [p.replies[0].body for p in again]
    assert [p.replies[0].body for p in first] != [p.replies[0].body for p in other]


def test_a_proposal_is_the_same_whatever_was_composed_before_it():
    composer = Composer(7)
    for index in range(5):
        composer.proposal(index, TOPICS)
    assert composer.proposal(5, TOPICS).replies[0].body == (
        Composer(7).proposal(5, TOPICS).replies[0].body
    )


def test_letters_are_real_length_and_the_parser_reads_them():
    composer = Composer(3)
    proposals = [composer.proposal(i, TOPICS) for i in range(40)]
    letters = [letter for proposal in proposals for letter in proposal.replies]
    mean = sum(len(letter.body) for letter in letters) / len(letters)
    assert 1400 <= mean <= 2200
    for proposal in proposals:
        for letter in proposal.replies:
            parsed = parse_letter(letter.body)
            assert len(parsed.sections) == len(letter.sections)
            assert parsed.proposal_number == proposal.number
            assert list(parsed.proposers) == proposal.proposers
            assert parsed.reply_date == letter.letter_date
            assert parsed.agency == letter.department


def test_vocabulary_has_a_long_tail():
    """A real corpus keeps meeting new words: most distinct bigrams are rare."""
    composer = Composer(5)
    counts: dict[str, int] = {}
    for i in range(150):
        for letter in composer.proposal(i, TOPICS).replies:
            for token in set(search.tokenize(letter.body)):
                counts[token] = counts.get(token, 0) + 1
    rare = sum(1 for n in counts.values() if n <= 2)
    assert len(counts) > 5000
    assert rare / len(counts) > 0.3


def composed_letters(seed: int, indexes) -> set[str]:
    """Fingerprints of the letters of these proposals, as the importer stores them."""
    composer = Composer(seed)
    return {
        letter_fingerprint(letter.body)
        for index in indexes
        for letter in composer.proposal(index, []).replies
    }


@pytest.mark.django_db
def test_generate_data_writes_the_composed_letters():
    call_command(GenerateData(), proposals=12, seed=4, verbosity=0)
    assert Proposal.objects.count() == 12
    assert Reply.objects.count() == 24
    assert CommitmentItem.objects.count() >= 12 * 8
    assert CommitmentUpdate.objects.exists()
    # The same seed, the same texts: the letters stored are the ones composed.
    stored = set(Reply.objects.values_list("source_hash", flat=True))
    assert stored == composed_letters(4, range(12))


@pytest.mark.django_db
def test_generated_data_holds_what_the_services_keep():
    """Nothing is written beside the services: every derived fact agrees with its source."""
    before = public_version()
    call_command(GenerateData(), proposals=20, seed=6, draft_share=0.3, verbosity=0)
    published = Reply.objects.published()
    assert published.exists() and Reply.objects.drafts().exists()
    assert public_version()[0] > before[0]

    for proposal in Proposal.objects.annotate(
        has_public=Exists(published.filter(proposal=OuterRef("pk")))
    ):
        assert proposal.is_public == proposal.has_public, proposal
        dates = [r.letter_date for r in published.filter(proposal=proposal)]
        assert proposal.replied_on == max(dates, default=None)
        # Assigned through the workflow service: the reply due date counted as assign counts.
        if proposal.assigned_on is not None:
            due = add_months(proposal.assigned_on, settings.REPLY_DUE_MONTHS)
            assert proposal.reply_due == due
        else:
            assert proposal.reply_due is None
        assert proposal.status in ("replied", "closed", "assigned")
        rated_unsatisfied = published.filter(proposal=proposal, satisfaction="unsatisfied")
        assert (proposal.status == "assigned") == rated_unsatisfied.exists()
        assert proposal.history.exists()

    for reply in Reply.objects.all():
        assert reply.withdrawn_at is None and reply.withdrawn_reason == ""
        assert bool(reply.satisfaction) <= reply.is_published
        assert bool(reply.satisfaction) == bool(reply.rated_at)
        assert reply.history.exists()

    for item in CommitmentItem.objects.select_related("reply").prefetch_related("targets"):
        # Published commitments keep the date they promised; drafts have promised nothing.
        if item.reply.is_published:
            assert item.promised_on == item.due_on
        else:
            assert item.promised_on is None
        # Status is the latest update's, progress the targets' (or the status's).
        update = latest_update(item)
        if update is not None:
            assert item.status == update.status
        targets = list(item.targets.all())
        expected = target_progress(targets)
        if expected is None:
            expected = STATUS_PROGRESS.get(item.status, 0)
        assert item.progress == expected


@pytest.mark.django_db
def test_generated_data_is_searchable(client):
    call_command(GenerateData(), proposals=6, seed=9, verbosity=0)
    proposal = public_proposals().order_by("pk").first()
    reply = Reply.objects.published().filter(proposal=proposal).first()
    word = reply.body.split("关于“")[1][:4]
    response = client.get("/proposals/", {"q": word})
    assert proposal.title in response.content.decode()
    if connection.vendor == "postgresql":
        # The vector the importer wrote is the one reindexing writes.
        before = Proposal.objects.values_list("search_vector", flat=True).get(pk=proposal.pk)
        indexing.reindex_proposals([proposal.pk])
        after = Proposal.objects.values_list("search_vector", flat=True).get(pk=proposal.pk)
        assert before == after


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search index is PostgreSQL's")
@pytest.mark.django_db
def test_search_index_finds_published_letters_and_not_drafts():
    call_command(GenerateData(), proposals=10, seed=2, draft_share=0.7, verbosity=0)
    found = hidden = 0
    for reply in Reply.objects.select_related("proposal"):
        # A proposer's name: in the letter, rare across the data set.
        name = reply.body.split("委员：")[0].split("代表：")[0].splitlines()[-1].split("、")[0]
        matches = search_proposals(public_proposals(), name)
        if reply.proposal.is_public:
            assert reply.proposal in matches, name
            found += 1
        else:
            assert reply.proposal not in matches, name
            hidden += 1
    assert found and hidden


@pytest.mark.django_db
def test_generating_twice_adds_without_collisions():
    call_command(GenerateData(), proposals=5, seed=1, verbosity=0)
    first = set(Reply.objects.values_list("source_hash", flat=True))
    call_command(GenerateData(), proposals=5, seed=1, verbosity=0)
    assert Proposal.objects.count() == 10
    # The second run writes proposals 5 to 9 of the seed: letters of their own.
    assert set(Reply.objects.values_list("source_hash", flat=True)) - first == composed_letters(
        1, range(5, 10)
    )


@pytest.mark.django_db(transaction=True)
def test_letters_parsed_ahead_in_a_second_process_are_the_same(monkeypatch):
    """Beyond one chunk the next chunk's letters are parsed in a worker process: the data
    is the same as when the importer parses them itself."""
    monkeypatch.setattr(generate_data, "CHUNK", 3)
    call_command(GenerateData(), proposals=7, seed=3, verbosity=0)
    assert Proposal.objects.count() == 7
    assert set(Reply.objects.values_list("source_hash", flat=True)) == composed_letters(3, range(7))
    stored = {r.source_hash: r.body for r in Reply.objects.all()}
    composer = Composer(3)
    for index in range(7):
        for letter in composer.proposal(index, []).replies:
            assert stored[letter_fingerprint(letter.body)] == parse_letter(letter.body).body
