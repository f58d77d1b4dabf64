"""FilterSets of the public list pages."""

import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from proposals.models import Committee, Department, Proposal, Session, Topic
from replies import kept as kept_rules
from replies import selectors
from replies.models import Classification, CommitmentItem, CommitmentStatus
from replies.selectors import OVERDUE, public_replies, with_public_commitment_status

STATUS_CHOICES = [*CommitmentStatus.choices, (OVERDUE, _("已逾期"))]


class ProposalFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("关键词"), method="filter_q", max_length=100)
    committee = django_filters.ModelChoiceFilter(
        label=_("委员会"),
        field_name="session__committee",
        to_field_name="slug",
        queryset=Committee.objects.all(),
    )
    session = django_filters.ModelChoiceFilter(
        label=_("会议"), queryset=Session.objects.select_related("committee")
    )
    kind = django_filters.ChoiceFilter(label=_("类别"), choices=Proposal.Kind.choices)
    department = django_filters.ModelChoiceFilter(
        label=_("答复单位"), queryset=Department.objects.all(), method="filter_department"
    )
    topic = django_filters.ModelChoiceFilter(
        label=_("主题"), field_name="topics", to_field_name="key", queryset=Topic.objects.all()
    )
    classification = django_filters.ChoiceFilter(
        label=_("办理结果"), choices=Classification.choices, method="filter_classification"
    )
    status = django_filters.ChoiceFilter(
        label=_("承诺状态"), choices=STATUS_CHOICES, method="filter_status"
    )
    year = django_filters.NumberFilter(
        label=_("年份"), field_name="session__year", min_value=1949, max_value=2200
    )

    class Meta:
        model = Proposal
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.search_proposals(queryset, value)

    def filter_department(self, queryset: QuerySet, name: str, value: Department) -> QuerySet:
        return queryset.filter(
            Exists(public_replies().filter(proposal=OuterRef("pk"), department=value))
        )

    def filter_classification(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Exists(public_replies().filter(proposal=OuterRef("pk"), classification=value))
        )

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return with_public_commitment_status(queryset, value)


class CommitmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=STATUS_CHOICES, method="filter_status"
    )
    committee = django_filters.ModelChoiceFilter(
        label=_("委员会"),
        field_name="reply__proposal__session__committee",
        to_field_name="slug",
        queryset=Committee.objects.all(),
    )
    department = django_filters.ModelChoiceFilter(
        label=_("责任单位"), field_name="owner", queryset=Department.objects.all()
    )
    topic = django_filters.ModelChoiceFilter(
        label=_("主题"), field_name="topic", to_field_name="key", queryset=Topic.objects.all()
    )
    session = django_filters.ModelChoiceFilter(
        label=_("会议"),
        field_name="reply__proposal__session",
        queryset=Session.objects.select_related("committee"),
    )
    due_after = django_filters.DateFilter(
        label=_("期限不早于"), field_name="due_on", lookup_expr="gte"
    )
    due_before = django_filters.DateFilter(
        label=_("期限不晚于"), field_name="due_on", lookup_expr="lte"
    )
    year = django_filters.NumberFilter(
        label=_("年份"), field_name="reply__proposal__session__year", min_value=1949, max_value=2200
    )
    kept = django_filters.ChoiceFilter(
        label=_("兑现情况（期限已过）"), choices=kept_rules.FILTER_CHOICES, method="filter_kept"
    )

    class Meta:
        model = CommitmentItem
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == OVERDUE:
            return queryset.overdue()
        return queryset.filter(status=value)

    def filter_kept(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # The same SQL condition the 兑现率 figures count with: the list is their rows.
        return kept_rules.filter_kept(queryset, value)
