"""Plain-data forms of public objects for JSON and CSV (same data as the pages)."""

from typing import Any

from django.utils import timezone

from replies.models import CommitmentItem


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _decimal(value) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def commitment_data(request, item: CommitmentItem, today=None) -> dict[str, Any]:
    today = today or timezone.localdate()
    return {
        "id": item.pk,
        "number": item.number,
        "marker": item.marker,
        "heading": item.heading or None,
        "text": item.public_text,
        "topic": item.topic.key if item.topic else None,
        "owner": item.owner.name,
        "due_on": _date(item.due_on),
        # The date first promised in public, and each approved change (the approving body,
        # never a person).
        "promised_on": _date(item.promised_on),
        "deadline_changes": [
            {
                "from": _date(change.old_due),
                "to": _date(change.new_due),
                "reason": change.reason,
                "approved_by": "提案委",
                "approved_on": _date(timezone.localdate(change.decided_at)),
            }
            for change in getattr(item, "approved_changes", [])
        ],
        "status": item.status,
        "status_label": item.get_status_display(),
        "overdue": item.is_overdue(today),
        "progress": item.progress,
        "targets": [
            {
                "text": target.text,
                "quantity": _decimal(target.quantity),
                "unit": target.unit,
                "due_on": _date(target.due_on),
                "achieved": _decimal(target.achieved),
            }
            for target in item.targets.all()
        ],
        "updates": [
            {
                "date": _date(update.date),
                "status": update.status,
                "note": update.note,
                "evidence_url": update.evidence_url or None,
            }
            for update in item.updates.all()
        ],
    }


def coverage_data(request, proposal, coverage) -> list[dict[str, Any]] | None:
    """Each suggestion with the commitments that answer it (``answered`` false: 未见答复)."""
    if coverage is None:
        return None
    return [
        {
            "number": row.suggestion.number,
            "suggestion": row.suggestion.heading,
            "answered": row.answered,
            "answers": [
                {
                    "commitment": request.build_absolute_uri(
                        f"{proposal.get_absolute_url()}#commitment-{answer.part.key}"
                    ),
                    "how": answer.how,
                    "score": answer.score,
                }
                for answer in row.answers
            ],
        }
        for row in coverage.rows
    ]


def proposal_data(request, page: dict[str, Any]) -> dict[str, Any]:
    proposal = page["proposal"]
    session = proposal.session
    today = timezone.localdate()
    if not page["replies"]:
        # Withdrawn (410): the notice only.
        return {
            "url": request.build_absolute_uri(proposal.get_absolute_url()),
            "committee": session.committee.name,
            "session": session.label,
            "number": proposal.number if proposal.number_stated else None,
            "replies": [],
            "withdrawn": [
                {
                    "department": notice["department"],
                    "role": notice["role"],
                    "withdrawn_at": notice["withdrawn_at"].isoformat(),
                    "reason": notice["reason"],
                }
                for notice in page["withdrawn"]
            ],
        }
    return {
        "url": request.build_absolute_uri(proposal.get_absolute_url()),
        "committee": session.committee.name,
        "session": session.label,
        "number": proposal.number if proposal.number_stated else None,
        "kind": proposal.kind,
        "title": proposal.title,
        "status": proposal.status,
        "proposers": [proposer.name for proposer in page["proposers"]],
        "lead_department": proposal.lead_department.name if proposal.lead_department else None,
        "co_departments": [department.name for department in page["co_departments"]],
        "topics": [topic.key for topic in page["topics"]],
        # The proposal's own text and its point-by-point comparison: only once the office
        # published the text (personal data masked), null before.
        "text": proposal.public_text if page.get("coverage") else None,
        "coverage": coverage_data(request, proposal, page.get("coverage")),
        "replies": [
            {
                "url": request.build_absolute_uri(
                    f"{proposal.get_absolute_url()}#reply-{reply.pk}"
                ),
                "department": reply.department.name,
                "role": reply.role,
                "title": reply.title,
                "doc_number": reply.doc_number or None,
                "index_number": reply.index_number or None,
                "letter_date": _date(reply.letter_date),
                "source_published_on": _date(reply.source_published_on),
                "classification": reply.classification or None,
                "published_at": reply.published_at.isoformat(),
                "body": reply.public_body,
                "commitments": [
                    commitment_data(request, item, today) for item in reply.commitments.all()
                ],
            }
            for reply in page["replies"]
        ],
        "withdrawn": [
            {
                "department": notice["department"],
                "role": notice["role"],
                "withdrawn_at": notice["withdrawn_at"].isoformat(),
                "reason": notice["reason"],
            }
            for notice in page.get("withdrawn", [])
        ],
    }


def commitment_row(request, item: CommitmentItem, today=None) -> dict[str, Any]:
    """One flat row of the bulk export."""
    today = today or timezone.localdate()
    proposal = item.reply.proposal
    return {
        "id": item.pk,
        "proposal": proposal.number_label,
        "proposal_title": proposal.title,
        "session": str(proposal.session),
        "number": item.number,
        "heading": item.heading or item.public_text[:40],
        "owner": item.owner.name,
        "topic": item.topic.name if item.topic else "",
        "status": item.get_status_display(),
        "overdue": "是" if item.is_overdue(today) else "否",
        "due_on": _date(item.due_on) or "",
        "progress": item.progress,
        "url": request.build_absolute_uri(f"{proposal.get_absolute_url()}#commitment-{item.pk}"),
    }
