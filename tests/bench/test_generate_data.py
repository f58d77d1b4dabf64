"""Synthetic data: deterministic, in the real letter format, consistent with the importer."""

import pytest
from django.core.management import call_command
from django.db import connection

from bench.management.commands.generate_data import Command as GenerateData
from bench.synthetic import Composer
from proposals import search
from proposals.models import Proposal
from replies.models import CommitmentItem, CommitmentUpdate, Reply
from replies.parsing import parse_letter
from replies.selectors import public_proposals
from replies.services import indexing

TOPICS = ["innovation", "education", "health", "transport", "finance"]


def test_same_seed_writes_the_same_letters():
    first = [Composer(7).proposal(i, TOPICS) for i in range(3)]
    again = [Composer(7).proposal(i, TOPICS) for i in range(3)]
    other = [Composer(8).proposal(i, TOPICS) for i in range(3)]
    assert [p.replies[0].body for p in first] == [p.replies[0].body for p in again]
    assert [p.replies[0].body for p in first] != [p.replies[0].body for p in other]


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


@pytest.mark.django_db
def test_generate_data_builds_consistent_rows():
    call_command(GenerateData(), proposals=12, seed=4, verbosity=0)
    assert Proposal.objects.count() == 12
    assert Reply.objects.count() == 24
    assert CommitmentItem.objects.count() >= 12 * 8
    public = public_proposals()
    assert public.exists()
    for proposal in public:
        dates = [r.letter_date for r in Reply.objects.published().filter(proposal=proposal)]
        assert proposal.replied_on == max(dates)
    # A commitment's status is its latest update's, as progress.post_update keeps it.
    for item in CommitmentItem.objects.filter(updates__isnull=False).distinct():
        latest = item.updates.order_by("-date", "-created_at", "-pk").first()
        assert item.status == latest.status
    assert CommitmentUpdate.objects.exists()


@pytest.mark.django_db
def test_generated_data_is_searchable(client):
    call_command(GenerateData(), proposals=6, seed=9, verbosity=0)
    proposal = public_proposals().order_by("pk").first()
    reply = Reply.objects.published().filter(proposal=proposal).first()
    word = reply.body.split("关于“")[1][:4]
    response = client.get("/proposals/", {"q": word})
    assert proposal.title in response.content.decode()
    if connection.vendor == "postgresql":
        # The vector written with COPY is the one reindexing would write.
        before = Proposal.objects.values_list("search_vector", flat=True).get(pk=proposal.pk)
        indexing.reindex_proposals([proposal.pk])
        after = Proposal.objects.values_list("search_vector", flat=True).get(pk=proposal.pk)
        assert before == after


@pytest.mark.django_db
def test_generating_twice_adds_without_collisions():
    call_command(GenerateData(), proposals=5, seed=1, verbosity=0)
    call_command(GenerateData(), proposals=5, seed=1, verbosity=0)
    assert Proposal.objects.count() == 10
