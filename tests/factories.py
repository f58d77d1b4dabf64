import datetime

import factory
from django.utils import timezone

from proposals.models import (
    Committee,
    Department,
    Proposal,
    Proposer,
    Session,
    Topic,
    number_slug,
)
from replies.models import CommitmentItem, CommitmentUpdate, Reply, Target
from replies.parsing.pii import mask_text
from replies.services import indexing, rollups


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"测试市政协{n}")
    slug = factory.Sequence(lambda n: f"committee-{n}")


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    committee = factory.SubFactory(CommitteeFactory)
    term = 15
    meeting = factory.Sequence(lambda n: n % 9 + 1)
    year = 2021


class ProposerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Proposer

    name = factory.Sequence(lambda n: f"委员{n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"测试局{n}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"主题{n}")


class ProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Proposal

    session = factory.SubFactory(SessionFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    slug = factory.LazyAttribute(lambda o: number_slug(o.number))
    title = factory.Sequence(lambda n: f"关于加强科技创新工作的建议{n}")
    lead_department = factory.SubFactory(DepartmentFactory)


class ReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reply
        skip_postgeneration_save = True

    proposal = factory.SubFactory(ProposalFactory)
    department = factory.SelfAttribute("proposal.lead_department")
    title = factory.LazyAttribute(lambda o: f"对第{o.proposal.number}号提案答复的函")
    body = "您提出的建议收悉。经研究，现答复如下：一、关于人才队伍建设。"
    # What services.privacy keeps: the body with personal data masked.
    public_body = factory.LazyAttribute(lambda o: mask_text(o.body))
    letter_date = datetime.date(2021, 7, 9)
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def reindex(obj, create, extracted, **kwargs):
        """What the publication services do after writing a reply: the proposal's public
        flag, date and search entry follow its published replies."""
        if create:
            indexing.reindex_proposals([obj.proposal_id])
            rollups.refresh(rollups.cells_of(replies=[obj.pk]))


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitmentItem
        skip_postgeneration_save = True

    reply = factory.SubFactory(ReplyFactory)
    number = factory.Sequence(lambda n: n + 1)
    marker = factory.LazyAttribute(lambda o: f"{o.number}、")
    heading = "关于“加大科技创新投入”"
    text = "下一步，我们将持续深化科技体制机制改革。"
    public_text = factory.LazyAttribute(lambda o: mask_text(o.text))
    owner = factory.SelfAttribute("reply.department")

    @factory.post_generation
    def recount(obj, create, extracted, **kwargs):
        """What the services do after writing a public commitment: the roll-ups follow."""
        if create:
            rollups.refresh(rollups.cells_of(commitments=[obj.pk]))


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    commitment = factory.SubFactory(CommitmentFactory)
    text = "新增省级科技企业孵化器"
    quantity = 20
    unit = "家"


class CommitmentUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitmentUpdate

    commitment = factory.SubFactory(CommitmentFactory)
    date = datetime.date(2021, 9, 1)
    status = "in_progress"
