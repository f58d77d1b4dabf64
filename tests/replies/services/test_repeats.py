"""replies.services.repeats: the 此前相关提案 links, refreshed by the write paths and
rebuilt by the command; the selectors that read them for the page and the office."""

import datetime
import io

import pytest
from django.core.management import call_command

from proposals import services as proposal_services
from proposals.models import Proposal, RelatedProposal
from replies import selectors
from replies.models import CommitmentStatus
from replies.services import progress, publication, repeats
from replies.services.letters.importer import import_letters
from tests import factories

pytestmark = pytest.mark.django_db

LIFT = "关于推进老旧小区加装电梯的建议"
LIFT_AGAIN = "关于持续解决老旧小区加装电梯难题的提案"
PARKING = "关于缓解医院周边停车难的建议"


@pytest.fixture
def sessions():
    committee = factories.CommitteeFactory()
    return [
        factories.SessionFactory(committee=committee, term=15, meeting=meeting, year=2020 + meeting)
        for meeting in (1, 2, 3)
    ]


def _proposal(session, title, *, publish=True, classification="B", headings=()):
    proposal = factories.ProposalFactory(session=session, title=title)
    reply = factories.ReplyFactory(
        proposal=proposal, published_at=None, classification=classification
    )
    for number, heading in enumerate(headings, 1):
        factories.CommitmentFactory(reply=reply, number=number, heading=heading)
    if publish:
        publication.publish_reply(reply=reply)
    return proposal


def _links() -> set[tuple[int, int]]:
    return set(RelatedProposal.objects.values_list("proposal_id", "earlier_id"))


def test_a_later_repeat_is_linked_to_the_earlier_one_only(sessions):
    """Publishing refreshes the links; a repeat links from the later session to the
    earlier one, never the other way, and an unrelated proposal is not linked."""
    earlier = _proposal(sessions[0], LIFT)
    _proposal(sessions[1], PARKING)
    later = _proposal(sessions[2], LIFT_AGAIN)
    assert _links() == {(later.pk, earlier.pk)}


def test_same_session_and_other_committee_are_not_repeats(sessions):
    first = _proposal(sessions[1], LIFT)
    _proposal(sessions[1], LIFT_AGAIN)
    elsewhere = factories.SessionFactory(term=15, meeting=3, year=2023)
    _proposal(elsewhere, LIFT_AGAIN)
    assert _links() == set()
    # And the refresh of the earlier one does not invent any.
    repeats.refresh([first.pk])
    assert _links() == set()


def test_saving_a_proposal_through_the_service_relinks_it(sessions):
    earlier = _proposal(sessions[0], LIFT)
    later = _proposal(sessions[2], PARKING)
    assert _links() == set()
    later.title = LIFT_AGAIN
    proposal_services.save_proposal(proposal=later, changed=["title"])
    assert _links() == {(later.pk, earlier.pk)}
    later.title = PARKING
    proposal_services.save_proposal(proposal=later, changed=["title"])
    assert _links() == set()


def test_refreshing_an_earlier_proposal_finds_its_later_repeats(sessions):
    later = _proposal(sessions[2], LIFT_AGAIN)
    earlier = factories.ProposalFactory(session=sessions[0], title=PARKING)
    earlier.title = LIFT
    proposal_services.save_proposal(proposal=earlier, changed=["title"])
    assert _links() == {(later.pk, earlier.pk)}


def _letter(meeting: str, number: int, title: str) -> str:
    return (
        f"关于市政协十五届{meeting}次会议第{number}号提案的答复\n\n王委员：\n\n"
        f"您提出的《{title}》收悉。现答复如下：\n\n"
        "一、关于“加快审批”\n\n我们已简化审批流程。\n\n办理结果：B类\n\n"
        "测试市住房和城乡建设局\n2024年7月1日"
    )


def test_import_links_a_letter_to_its_earlier_proposal(django_capture_on_commit_callbacks):
    """A batch import refreshes its proposals' links in a job after its commit."""
    with django_capture_on_commit_callbacks(execute=True):
        [first] = import_letters([_letter("一", 4, LIFT)])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        [outcome] = import_letters([_letter("九", 5, LIFT_AGAIN)])
    assert first.outcome == outcome.outcome == "imported", outcome.error
    earlier, imported = first.result.proposal, outcome.result.proposal
    assert _links() == set()  # not yet: the job runs after the commit
    for callback in queued:
        callback()
    assert _links() == {(imported.pk, earlier.pk)}


def test_the_command_rebuilds_what_the_write_paths_left(sessions):
    earlier = factories.ProposalFactory(session=sessions[0], title=LIFT)
    later = factories.ProposalFactory(session=sessions[2], title=LIFT_AGAIN)
    factories.ProposalFactory(session=sessions[1], title=PARKING)
    # Rows written around the services (a bulk load): no links yet, one stale one.
    stale = factories.ProposalFactory(session=sessions[1], title="关于发展夜间经济的建议")
    RelatedProposal.objects.create(proposal=stale, earlier=earlier, score=0.9)
    out = io.StringIO()
    call_command("refresh_repeats", stdout=out)
    assert _links() == {(later.pk, earlier.pk)}
    assert "1 条关联" in out.getvalue()


def test_rebuild_and_refresh_agree(sessions):
    titles = [LIFT, PARKING, LIFT_AGAIN, "关于既有住宅加装电梯的建议", "关于医院周边停车难的提案"]
    made = [
        factories.ProposalFactory(session=sessions[index % 3], title=title)
        for index, title in enumerate(titles)
    ]
    repeats.rebuild()
    rebuilt = _links()
    RelatedProposal.objects.all().delete()
    repeats.refresh([proposal.pk for proposal in made])
    assert _links() == rebuilt
    assert rebuilt  # the set holds repeats at all


def test_the_page_lists_public_earlier_ones_with_classes_and_counts(sessions):
    earlier = _proposal(sessions[0], LIFT, classification="A", headings=["关于“加快审批”"])
    item = earlier.replies.get().commitments.get()
    progress.post_update(commitment=item, status=CommitmentStatus.FULFILLED)
    hidden = _proposal(sessions[1], "关于老旧小区加装电梯的建议", publish=False)
    later = _proposal(sessions[2], LIFT_AGAIN)
    assert (later.pk, hidden.pk) in _links()  # linked, for the office
    listed = selectors.earlier_related(later)
    assert [proposal.pk for proposal in listed] == [earlier.pk]
    assert listed[0].classes == ["A类（已解决或采纳）"]
    assert (listed[0].commitments, listed[0].fulfilled) == (1, 1)
    assert len(listed[0].resolved_reasons) == 2


def test_the_flag_names_why(sessions, world):
    """Flagged: a repeat of a proposal answered A, or whose commitments were all
    fulfilled; a repeat of one still open is listed without a reason."""
    solved = _proposal(sessions[0], LIFT, classification="A")
    open_one = _proposal(
        sessions[1], "关于老旧小区加装电梯的建议", classification="B", headings=["关于“补助”"]
    )
    later = _proposal(sessions[2], LIFT_AGAIN)
    office = world["users"]["office"]

    def reasons() -> dict[int, list]:
        return {
            proposal.pk: proposal.resolved_reasons
            for proposal in selectors.repeat_flags(later, office)
        }

    assert reasons()[solved.pk] == ["此前答复为A类（已解决或采纳）"]
    assert reasons()[open_one.pk] == []
    # Both later ones repeat the solved one: both are flagged; the solved one is not.
    flagged = selectors.repeated_proposals(Proposal.objects.all(), office, resolved=True)
    assert set(flagged.values_list("pk", flat=True)) == {later.pk, open_one.pk}

    item = open_one.replies.get().commitments.get()
    progress.post_update(commitment=item, status=CommitmentStatus.FULFILLED)
    assert reasons()[open_one.pk] == ["此前答复的承诺已全部完成"]


def test_the_flag_shows_a_clerk_only_what_they_may_see(sessions, world):
    earlier = _proposal(sessions[0], LIFT, classification="A", publish=False)
    later = factories.ProposalFactory(
        session=sessions[2], title=LIFT_AGAIN, lead_department=world["own"]["department"]
    )
    repeats.refresh([later.pk])
    assert _links() == {(later.pk, earlier.pk)}
    clerk = world["users"]["clerk"]
    assert selectors.repeat_flags(later, clerk) == []
    assert not selectors.repeated_proposals(Proposal.objects.all(), clerk, resolved=False).exists()
    office = world["users"]["office"]
    assert [proposal.pk for proposal in selectors.repeat_flags(later, office)] == [earlier.pk]


def test_earlier_by_year_when_sessions_are_unnamed():
    committee = factories.CommitteeFactory()
    old = factories.SessionFactory(committee=committee, term=0, meeting=0, year=2019)
    new = factories.SessionFactory(
        committee=committee, term=0, meeting=0, year=datetime.date.today().year
    )
    earlier = _proposal(old, LIFT)
    later = _proposal(new, LIFT_AGAIN)
    assert _links() == {(later.pk, earlier.pk)}
