"""The proposal's own text: saved through ``save_proposal_text``, private unless the office
publishes it, masked when public; and the staff's comparison with the replies."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from proposals.models import Proposal
from replies.selectors import staff_coverage
from replies.services.coverage import TEXT_MAX_CHARS, save_proposal_text
from tests import factories

pytestmark = pytest.mark.django_db

# Written for these tests: a short proposal on waste sorting whose contact line holds a
# mobile number and a contact name.
TEXT = """案由：垃圾分类推进慢。

建议：
1. 在居民小区增设分类投放点，老旧小区尤其要补齐设施短板。
2. 对分类做得好的居民给予积分奖励，积分可以兑换生活用品。

联系人：李晓梅，手机13912345678
"""


def test_a_private_text_has_no_public_copy(world):
    proposal = world["own"]["proposal"]
    save_proposal_text(proposal=proposal, text=TEXT, public=False, actor=world["users"]["office"])
    proposal.refresh_from_db()
    assert proposal.text == TEXT.strip()
    assert not proposal.text_public
    assert proposal.public_text == ""


def test_a_public_text_is_masked(world):
    proposal = world["own"]["proposal"]
    save_proposal_text(proposal=proposal, text=TEXT, public=True, actor=world["users"]["office"])
    proposal.refresh_from_db()
    assert proposal.text_public
    assert "13912345678" not in proposal.public_text
    assert "李晓梅" not in proposal.public_text
    assert "已隐去" in proposal.public_text
    assert "积分奖励" in proposal.public_text
    # Made private again: the public copy goes with it.
    save_proposal_text(proposal=proposal, text=TEXT, public=False, actor=world["users"]["office"])
    proposal.refresh_from_db()
    assert proposal.public_text == ""


def test_a_clerk_may_enter_the_text_but_not_publish_it(world):
    proposal = world["own"]["proposal"]
    clerk = world["users"]["clerk"]
    save_proposal_text(proposal=proposal, text=TEXT, public=False, actor=clerk)
    with pytest.raises(PermissionDenied):
        save_proposal_text(proposal=proposal, text=TEXT, public=True, actor=clerk)
    proposal.refresh_from_db()
    assert not proposal.text_public and proposal.public_text == ""


def test_a_clerk_of_another_department_may_not_enter_it(world):
    proposal = world["other"]["proposal"]
    with pytest.raises(PermissionDenied):
        save_proposal_text(
            proposal=proposal, text=TEXT, public=False, actor=world["users"]["clerk"]
        )
    assert Proposal.objects.get(pk=proposal.pk).text == ""


def test_a_text_too_long_is_refused_and_nothing_changes(world):
    proposal = world["own"]["proposal"]
    with pytest.raises(ValidationError, match="提案原文过长"):
        save_proposal_text(
            proposal=proposal,
            text="建" * (TEXT_MAX_CHARS + 1),
            public=False,
            actor=world["users"]["office"],
        )
    assert Proposal.objects.get(pk=proposal.pk).text == ""


def test_staff_coverage_reads_the_replies_the_user_may_see(world):
    """A draft section that answers suggestion 2 counts for the office, who may read it."""
    proposal = world["own"]["proposal"]
    reply = world["own"]["reply"]
    factories.CommitmentFactory(
        reply=reply,
        number=5,
        heading="关于完善投放设施",
        text="我们已在居民小区设置分类投放点1200个，明年对老旧小区的投放点升级改造。",
    )
    draft = factories.ReplyFactory(proposal=proposal, published_at=None, role="co_opinion")
    factories.CommitmentFactory(
        reply=draft,
        number=1,
        heading="关于激励措施",
        text="我们将试行垃圾分类积分制度，居民可用积分兑换日用品。",
    )
    save_proposal_text(proposal=proposal, text=TEXT, public=False)
    proposal.refresh_from_db()
    office = staff_coverage(proposal, world["users"]["office"])
    assert [row.answered for row in office.rows] == [True, True]
    member = staff_coverage(proposal, world["users"]["member"])
    # The member's own proposal: drafts too (the model's access rule), so both answered;
    # the public reads published replies only (tests/portal/test_coverage.py).
    assert [row.answered for row in member.rows] == [True, True]
