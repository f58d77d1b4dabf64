"""Helpers shared by the test modules; the shared fixtures are in tests/conftest.py."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import CheckConstraint, UniqueConstraint
from django.test.utils import CaptureQueriesContext

from bench.synthetic import Composer
from proposals.models import Committee, Department, Proposal, Proposer, Session
from replies.models import CommitmentItem, CommitmentStatus, CommitmentUpdate, Reply, Target
from replies.services import progress, publication
from tests import factories

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def text(response) -> str:
    """The page with highlighting removed, to look for titles in search results."""
    return body(response).replace("<mark>", "").replace("</mark>", "")


def count_queries(client, url: str, data: dict | None = None) -> int:
    """The queries of one GET of ``url``, after a first GET has warmed what stays warm in
    production too (content types, the session). Use it with the ``uncached`` fixture: a
    count taken on a cache hit proves nothing."""
    assert client.get(url, data).status_code == 200, url
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, data)
    assert response.status_code == 200, url
    return len(context)


# ---------------------------------------------------------------------------
# Named database constraints
# ---------------------------------------------------------------------------


def constraint_named(model, name: str):
    """The model's constraint called ``name``; a test naming one that does not exist fails."""
    for constraint in model._meta.constraints:
        if constraint.name == name:
            return constraint
    raise AssertionError(f"{model.__name__} has no constraint named {name!r}")


def assert_refused_by(model, name: str, write) -> None:
    """``write()`` is refused by the database, and by the constraint called ``name``.

    PostgreSQL names the constraint in every refusal, SQLite in a CHECK refusal; for a
    UNIQUE one SQLite names the columns instead, so those must be exactly the constraint's.
    """
    constraint = constraint_named(model, name)
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        write()
    message = str(excinfo.value)
    if connection.vendor == "sqlite" and isinstance(constraint, UniqueConstraint):
        table = model._meta.db_table
        columns = [model._meta.get_field(field).column for field in constraint.fields]
        expected = "UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in columns)
        assert message == expected, message
    else:
        assert name in message, message


def assert_violates(instance, name: str) -> None:
    """Saving the unsaved ``instance`` breaks the constraint called ``name``: the
    constraint itself says so (``Constraint.validate``, as ``full_clean`` checks it), and
    the database refuses the row by that constraint."""
    model = type(instance)
    constraint = constraint_named(model, name)
    with pytest.raises(ValidationError) as excinfo:
        constraint.validate(model, instance)
    if isinstance(constraint, CheckConstraint):
        assert name in str(excinfo.value), excinfo.value
    assert_refused_by(model, name, instance.save)


# ---------------------------------------------------------------------------
# Letters and what importing them stores
# ---------------------------------------------------------------------------

# A saved page without the letter: nothing but its print and close links. The reply would
# have no body, so validation refuses it; before that, it creates what a letter naming
# nothing needs (a committee, session, department and proposal).
EMPTY_LETTER = "打印本页 关闭窗口"
# Named nothing either: the same committee, session, department and proposal number.
UNNAMED_LETTER = "感谢您的建议。我们将加强社区养老服务。"


def table_counts() -> dict[str, int]:
    """Rows of the tables an import writes."""
    models = [
        Committee,
        Session,
        Department,
        Proposer,
        Proposal,
        Reply,
        CommitmentItem,
        Target,
        CommitmentUpdate,
    ]
    return {model.__name__: model.objects.count() for model in models}


def synthetic_letters(count: int) -> list[str]:
    """An answer and a co-handler's opinion for each of ``count`` generated proposals."""
    composer = Composer(7)
    letters = []
    for index in range(count):
        proposal = composer.proposal(index + 1, [])
        letters += [reply.body for reply in proposal.replies[:2]]
    return letters


# ---------------------------------------------------------------------------
# Public data
# ---------------------------------------------------------------------------


def add_public_data(copies: int, *, committee=None, session=None, department=None) -> None:
    """Published replies with commitments, targets, updates, proposers and topics."""
    session = session or factories.SessionFactory(
        committee=committee or factories.CommitteeFactory()
    )
    topic = factories.TopicFactory()
    for _ in range(copies):
        proposal = factories.ProposalFactory(
            session=session, **({"lead_department": department} if department else {})
        )
        proposal.proposers.add(factories.ProposerFactory())
        proposal.topics.add(topic)
        reply = factories.ReplyFactory(proposal=proposal, classification="B")
        for number in (1, 2):
            item = factories.CommitmentFactory(reply=reply, number=number, topic=topic)
            factories.TargetFactory(commitment=item)
            progress.post_update(commitment=item, status=CommitmentStatus.IN_PROGRESS)
        publication.publish_reply(reply=reply)


def preview_form_data(preview) -> dict:
    """What a browser posts back from the admin import preview, unchanged: every field of
    the form and of each commitment row (the empty row included), and the management form."""
    form, sections = preview.context["form"], preview.context["sections"]
    data = {"save": "1"}
    for field in form:
        value = field.value()
        if isinstance(value, bool):
            if value:
                data[field.name] = "on"
            continue
        data[field.name] = "" if value is None else value
    for name in sections.management_form.fields:
        data[f"sections-{name}"] = sections.management_form[name].value()
    for index, section in enumerate(sections.forms):
        for name in section.fields:
            value = section[name].value()
            if isinstance(value, bool):
                if value:
                    data[f"sections-{index}-{name}"] = "on"
                continue
            if hasattr(value, "pk"):
                value = value.pk
            data[f"sections-{index}-{name}"] = "" if value is None else value
    return data


def import_through_the_admin(client, letter: str, **changes):
    """Paste a letter into the admin's import page, then save the preview with
    ``changes`` (field → value) applied. Returns (preview response, save response)."""
    from django.urls import reverse

    url = reverse("admin:replies_reply_import")
    preview = client.post(url, {"text": letter, "publish": "on", "preview": "1"})
    assert preview.status_code == 200, preview.content.decode()[:500]
    data = preview_form_data(preview)
    data.update(changes)
    return preview, client.post(url, data)
