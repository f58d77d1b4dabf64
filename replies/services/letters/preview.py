"""What the admin's import preview shows staff before anything is saved: the committee and
department the letter would go to (and whether either would be new), the reply it would
update, the personal data that will be masked, the suggestions of the proposal's own
text the letter leaves unanswered, and every warning. Reads only."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from proposals.models import Committee, Department, Proposal, Session
from replies.models import Reply
from replies.parsing import ParsedLetter, ParsedSection
from replies.parsing.coverage import ProposalCoverage, cover, parts_of_sections
from replies.parsing.pii import PiiSpan, find_personal_data
from replies.services.letters.lookups import (
    UNNAMED_DEPARTMENT,
    _committee_name,
    _session_numbers,
    region_of,
)

NEW = "new:"


@dataclass
class Preview:
    committee_choices: list[tuple[str, str]]
    committee_initial: str
    department: Department | None  # the existing department the letter names
    department_name: str  # as the letter names it
    existing: Reply | None  # the reply that saving would update
    personal_data: list[PiiSpan]
    marked_body: SafeString
    sections: tuple[ParsedSection, ...]
    derived: bool
    warnings: list[str] = field(default_factory=list)
    proposal: Proposal | None = None  # the stored proposal the letter answers
    coverage: ProposalCoverage | None = None  # its text's suggestions against the sections

    @property
    def publish_by_default(self) -> bool:
        """ "Publish now" starts unticked whenever there is anything to look at."""
        return not self.warnings


def committee_choices(parsed: ParsedLetter) -> tuple[list[tuple[str, str]], str, str | None]:
    """Every committee, and the new one the letter's agency names if it does not exist
    yet (never a "未注明地区…" one unless chosen): (choices, initial, new name)."""
    name, kind, region = _committee_name(agency=parsed.agency, kind=parsed.kind)
    existing = list(Committee.objects.order_by("name").only("pk", "name", "aliases", "kind"))
    match = next(
        (c for c in existing if c.kind == kind and (c.name == name or name in c.alias_list)),
        None,
    )
    choices = [("", _("—— 请选择委员会 ——"))] + [(str(c.pk), c.name) for c in existing]
    new_name = None
    if match is None:
        new_name = name
        label = _("新建：%(name)s") % {"name": name}
        if region is None:
            label = _("新建：%(name)s（答复函未注明地区，请确认）") % {"name": name}
        choices.append((NEW + name, label))
    # An existing match, or the new committee the region names; nothing when no region
    # is named: staff must choose.
    initial = str(match.pk) if match is not None else (NEW + name if region else "")
    return choices, initial, new_name


def committee_from_choice(value: str) -> Committee | None:
    """The committee staff chose; None for a new one (the importer creates it from the
    letter's agency)."""
    if not value or value.startswith(NEW):
        return None
    return Committee.objects.filter(pk=value).first()


def department_named(name: str | None) -> Department | None:
    name = (name or "").strip()
    if not name:
        return None
    found = Department.objects.filter(Q(name=name) | Q(short_name=name)).first()
    if found is not None:
        return found
    for candidate in Department.objects.exclude(aliases="").only("pk", "name", "aliases"):
        if name in candidate.alias_list:
            return candidate
    return None


def existing_proposal(parsed: ParsedLetter, *, committee: Committee | None) -> Proposal | None:
    """The stored proposal the letter answers (same committee, session and number)."""
    if committee is None or not parsed.proposal_number:
        return None
    year = parsed.reply_date.year if parsed.reply_date else None
    term, meeting, year = _session_numbers(parsed.session, year)
    sessions = Session.objects.filter(committee=committee, term=term, meeting=meeting)
    if not term:
        sessions = sessions.filter(year=year)
    return Proposal.objects.filter(session__in=sessions, number=parsed.proposal_number).first()


def existing_reply(
    proposal: Proposal | None, parsed: ParsedLetter, *, department: Department | None
) -> Reply | None:
    """The reply that importing this letter would update (same proposal, department and
    role), if it is stored already."""
    if proposal is None or department is None:
        return None
    return (
        Reply.objects.filter(proposal=proposal, department=department, role=parsed.reply_role)
        .filter(superseded_by__isnull=True)
        .order_by("-pk")
        .first()
    )


def marked(text: str, spans: list[PiiSpan]) -> SafeString:
    """The text with each personal-data span in <mark>, escaped."""
    parts, position = [], 0
    for span in spans:
        parts.append(escape(text[position : span.start]))
        parts.append(
            f'<mark title="{escape(span.label)}">{escape(text[span.start : span.end])}</mark>'
        )
        position = span.end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


def build(
    parsed: ParsedLetter, *, clerk_department: Department | None = None, user=None
) -> Preview:
    """The preview of ``parsed``; the coverage of a stored proposal's text is shown when
    ``user`` (if given) may read the proposal."""
    choices, initial, new_committee = committee_choices(parsed)
    department = clerk_department or department_named(parsed.agency)
    warnings = list(parsed.warnings)
    if new_committee is not None:
        if region_of(parsed.agency) is None:
            warnings.append(_("答复函中没有可以判断委员会的地区名称：请选择委员会。"))
        else:
            warnings.append(
                _("系统中还没有“%(name)s”：保存时将新建这个委员会。") % {"name": new_committee}
            )
    if department is None:
        name = (parsed.agency or "").strip() or UNNAMED_DEPARTMENT
        warnings.append(
            _(
                "系统中还没有承办单位“%(name)s”：保存时将新建。如果它是已有单位的另一种写法，"
                "请在“答复单位”中改为已有名称，或在承办单位中添加别名。"
            )
            % {"name": name}
        )
    committee = committee_from_choice(initial)
    proposal = existing_proposal(parsed, committee=committee)
    existing = existing_reply(proposal, parsed, department=department)
    spans = find_personal_data(parsed.body or "")
    if spans:
        warnings.append(
            _("发现 %(count)d 处个人信息（下方原文中标出）：公开时将隐去。") % {"count": len(spans)}
        )
    sections = parsed.sections or parsed.derived_sections
    coverage = None
    if (
        proposal is not None
        and proposal.text
        and (user is None or Proposal.objects.visible_to(user).filter(pk=proposal.pk).exists())
    ):
        # The proposal's own text against the letter as read: what it leaves unanswered.
        coverage = cover(proposal.text, parts_of_sections(sections))
        for suggestion in coverage.unanswered:
            warnings.append(_("建议%(number)d未见答复。") % {"number": suggestion.number})
    return Preview(
        committee_choices=choices,
        committee_initial=initial,
        department=department,
        department_name=(parsed.agency or "").strip(),
        existing=existing,
        personal_data=spans,
        marked_body=marked(parsed.body or "", spans),
        sections=sections,
        derived=not parsed.sections and bool(parsed.derived_sections),
        warnings=list(dict.fromkeys(warnings)),
        proposal=proposal,
        coverage=coverage,
    )
