"""The permission grid: every role against every URL pattern of the site (public, member,
clerk, admin), every object state and every action, from one table.

Each row of ``ROWS`` names a URL pattern (by its name, or its route when it has none) and
how to request it for each object; ``expect`` says, for a role and an object, whether the
request is allowed (and with which status) or refused. Every response is checked for the
markers of the texts the role may not read: a draft's or a withdrawn reply's text never
reaches anyone but the proposal office, the department that wrote it and the proposal's
own proposers — and never a public page, whoever asks.

``test_every_url_pattern_has_a_row`` lists the patterns from the URL resolver, so a new
URL without a row fails; ``test_a_new_url_without_a_row_fails`` shows that it does.

The data are built once for the module. The grid runs in full on PostgreSQL; on SQLite a
slice (three roles, drafts and published) keeps the suite quick.
"""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from simple_history.admin import SimpleHistoryAdmin

from core import roles
from proposals.models import Clerk, DeadlineExtension, Proposer
from replies.models import ImportJob, Reminder, Reply
from replies.services import deadlines, progress, publication
from tests import factories

User = get_user_model()

ROLES = [
    "anonymous",
    "member",  # a proposer of department A's proposals
    "other_member",  # a member with proposals of neither department
    "clerk_a",
    "clerk_b",
    "clerk_none",  # in the clerk group, with no department
    "staff_nogroup",
    "office",
]
STATES = ["draft", "published", "withdrawn"]
DEPARTMENTS = {"a": "丙市科学技术局", "b": "丙市教育局"}
STATE_WORDS = {"draft": "草稿", "published": "已公开", "withdrawn": "已撤回"}
FULL = connection.vendor == "postgresql"
SLICE_ROLES = {"anonymous", "clerk_a", "office"}
SLICE_STATES = {"draft", "published"}


def marker(dept: str, state: str) -> str:
    return f"标记{dept.upper()}{STATE_WORDS[state]}文本"


# --- The world ---------------------------------------------------------------------------


@dataclass
class Obj:
    """One department's objects in one state."""

    dept: str
    state: str
    proposal: object
    reply: object
    item: object
    target: object
    update: object
    extension: object
    reminder: object
    deadline_change: object = None
    revision: object = None

    @property
    def marker(self) -> str:
        return marker(self.dept, self.state)

    @property
    def private_markers(self) -> set[str]:
        """Texts of this object that no public page shows whatever its state: a pending
        deadline request's reason, a pending revision's text."""
        return {f"待批期限理由{self.dept}{self.state}", f"待审修订{self.dept}{self.state}"}


@dataclass
class World:
    users: dict[str, object]
    objects: list[Obj]
    extra: dict[str, object] = field(default_factory=dict)

    def get(self, dept: str, state: str) -> Obj:
        return next(o for o in self.objects if o.dept == dept and o.state == state)


def _user(name: str, group: str | None = None, *, staff=True, department=None):
    user = User.objects.create_user(name, password="pw-123456", is_staff=staff)
    if group:
        user.groups.add(Group.objects.get(name=group))
    if department is not None:
        Clerk.objects.create(user=user, department=department)
    return user


def _build(media_root) -> World:
    users = {
        "member": _user("grid-member", staff=False),
        "other_member": _user("grid-other-member", staff=False),
        "clerk_none": _user("grid-clerk-none", roles.CLERK),
        "staff_nogroup": _user("grid-staff"),
        "office": _user("grid-office", roles.OFFICE),
    }
    member = Proposer.objects.create(name="网格委员", user=users["member"])
    other = Proposer.objects.create(name="另一委员", user=users["other_member"])
    factories.ProposalFactory(title="另一委员的提案").proposers.add(other)
    objects = []
    for dept, name in DEPARTMENTS.items():
        department = factories.DepartmentFactory(name=name)
        users[f"clerk_{dept}"] = _user(f"grid-clerk-{dept}", roles.CLERK, department=department)
        for state in STATES:
            text = marker(dept, state)
            title = f"{name}{STATE_WORDS[state]}提案" if state == "published" else text
            proposal = factories.ProposalFactory(lead_department=department, title=title)
            if dept == "a":
                proposal.proposers.add(member)
            reply = factories.ReplyFactory(
                proposal=proposal,
                department=department,
                title=f"{text}答复函",
                body=f"答复正文：{text}。",
                published_at=None,
            )
            item = factories.CommitmentFactory(
                reply=reply, owner=department, heading=f"{text}小标题", text=f"承诺：{text}"
            )
            target = factories.TargetFactory(commitment=item, text=f"{text}指标")
            update = progress.post_update(
                commitment=item,
                status="in_progress",
                note=f"进展：{text}",
                attachment=SimpleUploadedFile(
                    f"evidence-{dept}-{state}.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"
                ),
            )
            extension = DeadlineExtension.objects.create(
                proposal=proposal, new_due="2031-01-01", reason=f"延期理由：{text}"
            )
            reminder = Reminder.objects.create(
                commitment=item, kind="overdue", sent_on="2030-01-01"
            )
            if state in ("published", "withdrawn"):
                publication.publish_reply(reply=reply)
            change = revision = None
            if state in ("published", "withdrawn"):
                change = deadlines.request_change(
                    commitment=item,
                    new_due=datetime.date(2032, 1, 1),
                    reason=f"待批期限理由{dept}{state}",
                    actor=users[f"clerk_{dept}"],
                )
                revision = publication.edit_reply(
                    reply=reply,
                    changes={"body": f"待审修订{dept}{state}"},
                    actor=users[f"clerk_{dept}"],
                )
            if state == "withdrawn":
                publication.withdraw_reply(reply=reply, reason="测试：撤回", actor=None)
            objects.append(
                Obj(
                    dept,
                    state,
                    proposal,
                    reply,
                    item,
                    target,
                    update,
                    extension,
                    reminder,
                    change,
                    revision,
                )
            )
    # A batch import of each department, naming its draft (the file and the reply made).
    jobs = {}
    for dept in DEPARTMENTS:
        draft = next(o for o in objects if o.dept == dept and o.state == "draft")
        jobs[dept] = ImportJob.objects.create(
            created_by=users[f"clerk_{dept}"],
            department=draft.reply.department,
            total=1,
            processed=1,
            imported=1,
            status=ImportJob.Status.DONE,
            results=[
                {
                    "name": f"{draft.marker}.txt",
                    "outcome": "imported",
                    "reason": "",
                    "warnings": [],
                    "reply": draft.reply.pk,
                }
            ],
        )
    return World(users=users, objects=objects, extra={"jobs": jobs})


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once, inside a transaction that is rolled back after the module; each test
    runs in a savepoint of it."""
    media = tmp_path_factory.mktemp("grid-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build(media)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def as_role(world, db):
    clients: dict[str, Client] = {}

    def get(role: str) -> Client:
        if role not in clients:
            client = Client()
            if role != "anonymous":
                client.force_login(world.users[role])
            clients[role] = client
        return clients[role]

    return get


# --- What each role may do ---------------------------------------------------------------


def may_read(role: str, obj: Obj) -> bool:
    """May ``role`` read ``obj``'s texts at all (in the admin, on /me/, as evidence)?"""
    if obj.state == "published" or role == "office":
        return True
    if role == f"clerk_{obj.dept}":
        return True
    return role == "member" and obj.dept == "a"


def forbidden_markers(world: World, role: str, *, public_page: bool) -> set[str]:
    """Texts that must not appear: on a public page every unpublished text, whoever asks;
    elsewhere those the role may not read."""
    hidden = {
        obj.marker
        for obj in world.objects
        if obj.state != "published" and (public_page or not may_read(role, obj))
    }
    for obj in world.objects:
        if public_page or not (role == "office" or role == f"clerk_{obj.dept}"):
            hidden |= obj.private_markers
    return hidden


NON_STAFF = {"anonymous", "member", "other_member"}

# Admin permissions per model, by role kind: (view, add, change, delete). "clerk" applies
# to a clerk of the object's own department (another department's is refused); scoped
# models refuse a clerk without a department.
PERMS = {
    "proposals.proposal": {"office": "vacd", "clerk": "v"},
    "proposals.deadlineextension": {"office": "vacd", "clerk": "va"},
    "replies.reply": {"office": "vacd", "clerk": "vac"},
    "replies.commitmentitem": {"office": "vacd", "clerk": "vac"},
    "replies.target": {"office": "vacd", "clerk": "vacd"},
    "replies.commitmentupdate": {"office": "va", "clerk": "va"},
    "replies.reminder": {"office": "v"},
    "replies.deadlinechange": {"office": "v", "clerk": "v"},
    "replies.replyrevision": {"office": "v", "clerk": "v"},
    "proposals.department": {"office": "vacd", "clerk": "v"},
    "proposals.committee": {"office": "vacd"},
    "proposals.session": {"office": "vacd", "clerk_any": "v"},
    "proposals.proposer": {"office": "vacd", "clerk_any": "v"},
    "proposals.topic": {"office": "vacd", "clerk_any": "v"},
    "proposals.clerk": {"office": "vacd"},
    "proposals.proposalproposer": {},
    "auth.user": {},
    "auth.group": {},
    # Login records: the office reads them and deletes one to lift a lockout; clerks never.
    "axes.accessattempt": {"office": "vd"},
    "axes.accesslog": {"office": "vd"},
    "axes.accessfailurelog": {"office": "vd"},
    "core.officesettings": {"office": "vc"},
}
SCOPED = {
    "proposals.department": lambda o: o.reply.department,
    "proposals.proposal": lambda o: o.proposal,
    "proposals.deadlineextension": lambda o: o.extension,
    "replies.reply": lambda o: o.reply,
    "replies.commitmentitem": lambda o: o.item,
    "replies.target": lambda o: o.target,
    "replies.commitmentupdate": lambda o: o.update,
    "replies.reminder": lambda o: o.reminder,
    "replies.deadlinechange": lambda o: o.deadline_change,
    "replies.replyrevision": lambda o: o.revision,
}
# Never deleted once the reply was published (withdrawn included): only withdrawn.
KEPT_ONCE_PUBLISHED = {
    "proposals.proposal",
    "replies.reply",
    "replies.commitmentitem",
    "replies.target",
}


def perms(label: str, role: str, obj: Obj | None) -> str:
    """The admin actions (v, a, c, d) ``role`` has on this model (and object)."""
    table = PERMS[label]
    if role == "office":
        return table.get("office", "")
    if role.startswith("clerk_"):
        if "clerk_any" in table:
            return table["clerk_any"]
        if "clerk" not in table:
            return ""
        if role == "clerk_none":
            # The lists (empty, saying why), nothing else.
            return "v" if obj is None and "v" in table["clerk"] else ""
        if obj is None:  # not tied to an object: the changelist and the add page
            return table["clerk"]
        return table["clerk"] if role == f"clerk_{obj.dept}" else ""
    return ""


# --- Cells -------------------------------------------------------------------------------


@dataclass
class Cell:
    method: str
    url: str
    allowed: set[int]
    refused: set[int]
    expect_allowed: bool
    public_page: bool = False
    data: dict | None = None
    after: Callable[[], str | None] | None = None  # a check of the database after a write


@dataclass
class Row:
    """One URL pattern: ``key`` is its name (or route), ``cells`` yields its requests."""

    key: str
    cells: Callable[[World, str], Iterator[Cell]]


def objects_for(world: World) -> list[Obj]:
    return [o for o in world.objects if FULL or o.state in SLICE_STATES]


def admin_url(label: str, view: str, *args) -> str:
    return reverse(f"admin:{label.replace('.', '_')}_{view}", args=args)


def refused_status(role: str) -> set[int]:
    # Non-staff are sent to the admin login; staff are told they may not.
    return {302} if role in NON_STAFF else {403}


def public_cells(name: str, *, kwargs_list=None, statuses=(200,)) -> Callable:
    def cells(world: World, role: str) -> Iterator[Cell]:
        for kwargs in kwargs_list(world) if kwargs_list else [{}]:
            yield Cell("GET", reverse(name, kwargs=kwargs), set(statuses), set(), True, True)

    return cells


def detail_cells(name: str) -> Callable:
    def cells(world: World, role: str) -> Iterator[Cell]:
        for obj in objects_for(world):
            proposal = obj.proposal
            kwargs = {
                "committee": proposal.session.committee.slug,
                "session": proposal.session.slug,
                "number": proposal.number,
            }
            url = reverse(name, kwargs=kwargs)
            if obj.state == "published":
                yield Cell("GET", url, {200}, set(), True, True)
            else:
                # Not public, for everyone alike: this is the public page.
                yield Cell("GET", url, set(), {404, 410}, False, True)

    return cells


def department_kwargs(world):
    return [{"pk": world.get(d, "published").reply.department_id} for d in DEPARTMENTS]


def member_page(world: World, role: str) -> Iterator[Cell]:
    url = reverse("portal:mine")
    if role == "anonymous":
        yield Cell("GET", url, set(), {302}, False)
    else:
        yield Cell("GET", url, {200}, set(), True)


def rate_cells(world: World, role: str) -> Iterator[Cell]:
    for obj in objects_for(world):
        reply = obj.reply

        def rated(reply=reply) -> str | None:
            reply.refresh_from_db()
            return None if reply.satisfaction == "" else f"reply {reply.pk} was rated"

        allowed = role == "member" and obj.dept == "a" and obj.state == "published"
        yield Cell(
            "POST",
            reverse("portal:rate", args=[reply.pk]),
            {302},
            {302, 404} if role != "anonymous" else {302},
            allowed,
            data={"satisfaction": "satisfied", "comment": ""},
            after=None if allowed else rated,
        )


def progress_cells(world: World, role: str) -> Iterator[Cell]:
    for obj in objects_for(world):
        url = reverse("portal:progress", args=[obj.item.pk])
        if role == "anonymous":
            yield Cell("GET", url, set(), {302}, False)
        elif role == "office" or role == f"clerk_{obj.dept}":
            yield Cell("GET", url, {200}, set(), True)
        else:
            yield Cell("GET", url, set(), {403}, False)


def queue_cells(world: World, role: str) -> Iterator[Cell]:
    """The work queue: a clerk of a department reads their own (the markers check keeps
    the other department's drafts off it); the office is sent to the admin; everyone else
    is refused with the reason."""
    url = reverse("portal:queue")
    if role == "anonymous":
        yield Cell("GET", url, set(), {302}, False)
    elif role in ("clerk_a", "clerk_b"):
        yield Cell("GET", url, {200}, set(), True)
    elif role == "office":
        yield Cell("GET", url, {302}, set(), True)
    else:
        yield Cell("GET", url, set(), {403}, False)


def evidence_cells(world: World, role: str) -> Iterator[Cell]:
    for obj in objects_for(world):
        url = obj.update.attachment.url
        if may_read(role, obj):
            yield Cell("GET", url, {200}, set(), True)
        else:
            yield Cell("GET", url, set(), {404}, False)


def login_cells(world: World, role: str) -> Iterator[Cell]:
    # The login page, or (logged in already) a redirect away from it.
    yield Cell("GET", reverse("portal:login"), {200, 302}, set(), True)


def logout_cells(world: World, role: str) -> Iterator[Cell]:
    yield Cell("GET", reverse("portal:logout"), set(), {405}, False)


def notification_cells(world: World, role: str) -> Iterator[Cell]:
    """A member's e-mail opt-in: a POST of their own setting (a GET is refused); anonymous
    users are sent to log in; a logged-in user who is no proposer is told so."""
    url = reverse("portal:notifications")
    if role == "anonymous":
        yield Cell("GET", url, set(), {302}, False)
    else:
        yield Cell("GET", url, set(), {405}, False)


def password_reset_cells(name: str, **kwargs) -> Callable:
    """Django's password-reset pages: open to everyone (asking for a link tells nobody
    whether an address has an account); a made-up link reads as invalid, not an error."""

    def cells(world: World, role: str) -> Iterator[Cell]:
        yield Cell("GET", reverse(name, kwargs=kwargs or None), {200}, set(), True)

    return cells


def admin_site_cells(name: str, *, staff_status=200) -> Callable:
    def cells(world: World, role: str) -> Iterator[Cell]:
        url = reverse(name)
        if role in NON_STAFF:
            yield Cell("GET", url, set(), {302}, False)
        else:
            yield Cell("GET", url, {staff_status}, set(), True)

    return cells


def admin_login_cells(world: World, role: str) -> Iterator[Cell]:
    yield Cell("GET", reverse("admin:login"), {200, 302}, set(), True)


def admin_logout_cells(world: World, role: str) -> Iterator[Cell]:
    yield Cell("GET", reverse("admin:logout"), set(), {302, 405}, False)


def app_list_cells(world: World, role: str) -> Iterator[Cell]:
    url = reverse("admin:app_list", args=["replies"])
    if role in NON_STAFF:
        yield Cell("GET", url, set(), {302}, False)
    elif role in ("office", "clerk_a", "clerk_b", "clerk_none"):
        yield Cell("GET", url, {200}, set(), True)
    else:
        yield Cell("GET", url, set(), {404}, False)


def view_on_site_cells(world: World, role: str) -> Iterator[Cell]:
    content_type = ContentType.objects.get_for_model(Reply)
    for obj in objects_for(world):
        url = reverse("admin:view_on_site", args=[content_type.pk, obj.reply.pk])
        if role in NON_STAFF:
            yield Cell("GET", url, set(), {302}, False)
        elif "v" in perms("replies.reply", role, obj):
            yield Cell("GET", url, {302}, set(), True)
        else:
            yield Cell("GET", url, set(), {404}, False)


def autocomplete_cells(world: World, role: str) -> Iterator[Cell]:
    for source, field_name in (
        ("replies.commitmentitem", "reply"),
        ("replies.reply", "proposal"),
        ("replies.target", "commitment"),
    ):
        app_label, model_name = source.split(".")
        url = (
            reverse("admin:autocomplete")
            + f"?app_label={app_label}&model_name={model_name}&field_name={field_name}&term=标记"
        )
        if role in NON_STAFF:
            yield Cell("GET", url, set(), {302}, False)
        elif role == "office" or role.startswith("clerk_"):
            # Answered from the rows the user may pick (none for a clerk without a
            # department): the markers check below is what matters.
            yield Cell("GET", url, {200}, set(), True)
        else:
            yield Cell("GET", url, set(), {403}, False)


def import_cells(world: World, role: str) -> Iterator[Cell]:
    url = reverse("admin:replies_reply_import")
    if role in NON_STAFF:
        yield Cell("GET", url, set(), {302}, False)
    elif "a" in perms("replies.reply", role, None):
        yield Cell("GET", url, {200}, set(), True)
    else:
        yield Cell("GET", url, set(), {403}, False)


def admin_model_cells(label: str, view: str) -> Callable:
    """The per-model admin views; object views run for every object of scoped models and
    for one row of the others."""

    def cells(world: World, role: str) -> Iterator[Cell]:
        model = admin.site._registry and next(
            m for m in admin.site._registry if m._meta.label_lower == label
        )
        if view in ("changelist", "add"):
            actions = perms(label, role, None)
            need = "v" if view == "changelist" else "a"
            url = admin_url(label, view)
            if role in NON_STAFF:
                yield Cell("GET", url, set(), {302}, False)
            elif need in actions or (view == "changelist" and "c" in actions):
                yield Cell("GET", url, {200}, set(), True)
            else:
                yield Cell("GET", url, set(), {403}, False)
            return
        targets = (
            [(o, SCOPED[label](o)) for o in objects_for(world)]
            if label in SCOPED
            else [(None, _any_row(world, model))]
        )
        for obj, row in targets:
            if row is None:
                continue
            actions = perms(label, role, obj)
            yield from _object_cells(label, view, role, obj, row, actions)

    return cells


def _any_row(world: World, model):
    if model is User:
        return world.users["member"]
    return model._default_manager.order_by("pk").first()


def _object_cells(label, view, role, obj, row, actions) -> Iterator[Cell]:
    refused = refused_status(role)
    if view == "change":
        url = admin_url(label, "change", row.pk)
        if role not in NON_STAFF and ("v" in actions or "c" in actions):
            yield Cell("GET", url, {200}, set(), True)
        else:
            yield Cell("GET", url, set(), refused, False)
    elif view == "redirect":
        url = admin_url(label, "changelist") + f"{row.pk}/"
        if role in NON_STAFF:
            yield Cell("GET", url, set(), {302}, False)
        else:
            # Django sends it on to the change page, which applies the rules above.
            yield Cell("GET", url, {302}, set(), True)
    elif view == "history":
        url = admin_url(label, "history", row.pk)
        if role not in NON_STAFF and ("v" in actions or "c" in actions):
            yield Cell("GET", url, {200}, set(), True)
        else:
            yield Cell("GET", url, set(), refused, False)
    elif view == "delete":
        url = admin_url(label, "delete", row.pk)
        kept = label in KEPT_ONCE_PUBLISHED and obj is not None and obj.state != "draft"
        if role not in NON_STAFF and "d" in actions and not kept:
            yield Cell("GET", url, {200}, set(), True)
        else:
            yield Cell("GET", url, set(), refused, False)
    elif view in ("simple_history", "revert"):
        record = row.history.order_by("history_id").first()
        url = reverse(f"admin:{label.replace('.', '_')}_simple_history", args=[row.pk, record.pk])
        readable = role not in NON_STAFF and ("v" in actions or "c" in actions)
        if view == "simple_history":
            if readable:
                yield Cell("GET", url, {200}, set(), True)
            else:
                yield Cell("GET", url, set(), refused, False)
            return
        # Reverting: the office's alone. Posting nothing valid is enough to see the door.
        if role == "office":
            yield Cell("POST", url, {200, 302}, set(), True, data={})
        else:
            before = _snapshot(row)

            def unchanged(row=row, before=before) -> str | None:
                return None if _snapshot(row) == before else f"{row!r} changed"

            yield Cell("POST", url, set(), refused, False, data={}, after=unchanged)


def _snapshot(row) -> dict:
    fresh = type(row)._default_manager.filter(pk=row.pk).values().first()
    return fresh or {}


def publish_action_cells(world: World, role: str) -> Iterator[Cell]:
    """The changelist's publish action, on a draft of each department."""
    for obj in objects_for(world):
        if obj.state != "draft":
            continue
        reply = obj.reply

        def still_draft(reply=reply) -> str | None:
            reply.refresh_from_db()
            return None if reply.published_at is None else f"reply {reply.pk} was published"

        data = {"action": "publish", "_selected_action": [reply.pk], "index": 0}
        url = admin_url("replies.reply", "changelist")
        if role == "office":
            yield Cell("POST", url, {302}, set(), True, data=data)
        elif role in NON_STAFF:
            yield Cell("POST", url, set(), {302}, False, data=data, after=still_draft)
        elif "v" in perms("replies.reply", role, None):
            # The action is not offered: the changelist answers, nothing is published.
            yield Cell("POST", url, set(), {200, 302}, False, data=data, after=still_draft)
        else:
            yield Cell("POST", url, set(), {403}, False, data=data, after=still_draft)


def _admin_rows() -> list[Row]:
    rows = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        views = ["changelist", "add", "change", "history", "delete", "redirect"]
        if isinstance(model_admin, SimpleHistoryAdmin):
            views += ["simple_history"]
        for view in views:
            key = _admin_key(model, view)
            rows.append(Row(key, admin_model_cells(label, view)))
        if isinstance(model_admin, SimpleHistoryAdmin):
            rows.append(
                Row(
                    _admin_key(model, "simple_history") + "#revert",
                    admin_model_cells(label, "revert"),
                )
            )
    return rows


def _admin_key(model, view: str) -> str:
    meta = model._meta
    if view == "redirect":
        return f"admin/{meta.app_label}/{meta.model_name}/<path:object_id>/"
    return f"admin:{meta.app_label}_{meta.model_name}_{view}"


ROWS: list[Row] = [
    # The public site: the same for every role, and never an unpublished text.
    Row("portal:home", public_cells("portal:home")),
    Row("portal:search", public_cells("portal:search")),
    Row("portal:detail", detail_cells("portal:detail")),
    Row("portal:detail-json", detail_cells("portal:detail-json")),
    Row("portal:commitments", public_cells("portal:commitments")),
    Row("portal:commitments-csv", public_cells("portal:commitments-csv")),
    Row("portal:commitments-json", public_cells("portal:commitments-json")),
    Row("portal:department", public_cells("portal:department", kwargs_list=department_kwargs)),
    Row("portal:feed", public_cells("portal:feed")),
    Row(
        "portal:department-feed",
        public_cells("portal:department-feed", kwargs_list=department_kwargs),
    ),
    Row("portal:sitemap", public_cells("portal:sitemap")),
    Row("portal:robots", public_cells("portal:robots")),
    Row("portal:dashboard", public_cells("portal:dashboard")),
    Row(
        "portal:dashboard-csv",
        public_cells(
            "portal:dashboard-csv",
            kwargs_list=lambda w: [
                {"table": t} for t in ("sessions", "departments", "overdue", "oldest", "kept")
            ],
        ),
    ),
    Row("healthz", public_cells("healthz")),
    # /metrics is allowed by the caller's address, not by role (tests/core/
    # test_observability.py): from the test client's 127.0.0.1, in the default allow-list,
    # every role gets the figures, and they name no draft.
    Row("metrics", public_cells("metrics")),
    # Members, clerks and files.
    Row("portal:mine", member_page),
    Row("portal:rate", rate_cells),
    Row("portal:notifications", notification_cells),
    Row("portal:queue", queue_cells),
    Row("portal:progress", progress_cells),
    Row("portal:login", login_cells),
    Row("portal:logout", logout_cells),
    Row("portal:password-reset", password_reset_cells("portal:password-reset")),
    Row("portal:password-reset-done", password_reset_cells("portal:password-reset-done")),
    Row(
        "portal:password-reset-confirm",
        password_reset_cells("portal:password-reset-confirm", uidb64="MQ", token="x-y"),
    ),
    Row("portal:password-reset-complete", password_reset_cells("portal:password-reset-complete")),
    Row("evidence-file", evidence_cells),
    # The admin site.
    Row("admin:index", admin_site_cells("admin:index")),
    Row("admin:login", admin_login_cells),
    Row("admin:logout", admin_logout_cells),
    Row("admin:password_change", admin_site_cells("admin:password_change")),
    Row("admin:password_change_done", admin_site_cells("admin:password_change_done")),
    Row("admin:jsi18n", admin_site_cells("admin:jsi18n")),
    Row("admin:autocomplete", autocomplete_cells),
    Row("admin:view_on_site", view_on_site_cells),
    Row("admin:app_list", app_list_cells),
    Row("admin:replies_reply_import", import_cells),
    Row("admin:replies_reply_import_batch", lambda w, r: _batch_cells(w, r)),
    Row("admin:replies_reply_import_job", lambda w, r: _job_cells(w, r)),
    Row("admin:replies_reply_changelist#publish", publish_action_cells),
    Row("admin:auth_user_password_change", lambda w, r: _user_password_cells(w, r)),
    Row("admin:replies_commitmentitem_deadline", lambda w, r: _deadline_cells(w, r)),
    Row("admin:replies_reply_privacy", lambda w, r: _privacy_cells(w, r)),
    # Django's catch-all of the admin: unknown admin URLs.
    Row("admin/(?P<url>.*)$", lambda w, r: _catch_all_cells(w, r)),
    *_admin_rows(),
]


def _user_password_cells(world: World, role: str) -> Iterator[Cell]:
    url = reverse("admin:auth_user_password_change", args=[world.users["member"].pk])
    yield Cell("GET", url, set(), refused_status(role), False)


def _deadline_cells(world: World, role: str) -> Iterator[Cell]:
    """The commitment's deadline page: its editors (the office, the owning clerk)."""
    for obj in objects_for(world):
        url = reverse("admin:replies_commitmentitem_deadline", args=[obj.item.pk])
        if role in NON_STAFF:
            yield Cell("GET", url, set(), {302}, False)
        elif role == "office" or role == f"clerk_{obj.dept}":
            yield Cell("GET", url, {200}, set(), True)
        else:
            yield Cell("GET", url, set(), {403}, False)


def _privacy_cells(world: World, role: str) -> Iterator[Cell]:
    """A reply's personal-data page: read by those who work on the reply; decided by the
    office alone."""
    for obj in objects_for(world):
        url = reverse("admin:replies_reply_privacy", args=[obj.reply.pk])
        data = {"action": "unmask", "text": "答复正文"}
        if role in NON_STAFF:
            yield Cell("GET", url, set(), {302}, False)
            yield Cell("POST", url, set(), {302}, False, data=data)
        elif role == "office":
            yield Cell("GET", url, {200}, set(), True)
        elif role == f"clerk_{obj.dept}":
            yield Cell("GET", url, {200}, set(), True)
            yield Cell("POST", url, set(), {403}, False, data=data)
        else:
            yield Cell("GET", url, set(), {403}, False)


def _batch_cells(world: World, role: str) -> Iterator[Cell]:
    """The batch import page (the form and the user's recent batches): who may import."""
    url = reverse("admin:replies_reply_import_batch")
    if role in NON_STAFF:
        yield Cell("GET", url, set(), {302}, False)
    elif "a" in perms("replies.reply", role, None) and role != "clerk_none":
        yield Cell("GET", url, {200}, set(), True)
    else:
        yield Cell("GET", url, set(), {403}, False)


def _job_cells(world: World, role: str) -> Iterator[Cell]:
    """A batch's progress page: the office's, and the department's own clerks'."""
    for dept, job in world.extra["jobs"].items():
        url = reverse("admin:replies_reply_import_job", args=[job.pk])
        if role in NON_STAFF:
            yield Cell("GET", url, set(), {302}, False)
        elif role == "office" or role == f"clerk_{dept}":
            yield Cell("GET", url, {200}, set(), True)
        elif role.startswith("clerk_") and role != "clerk_none":
            yield Cell("GET", url, set(), {404}, False)
        else:
            yield Cell("GET", url, set(), {403}, False)


def _catch_all_cells(world: World, role: str) -> Iterator[Cell]:
    url = "/admin/no-such-page/"
    if role in NON_STAFF:
        yield Cell("GET", url, set(), {302}, False)
    else:
        yield Cell("GET", url, set(), {404}, False)


# --- The completeness check --------------------------------------------------------------


def url_keys(patterns, prefix: str = "", namespace: str | None = None) -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            if pattern.namespace and namespace:
                inner = f"{namespace}:{pattern.namespace}"
            yield from url_keys(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name
            else:
                yield prefix + str(pattern.pattern)


def missing_rows(patterns) -> list[str]:
    keys = {row.key.split("#")[0] for row in ROWS}
    return sorted(key for key in set(url_keys(patterns)) if key not in keys)


def test_every_url_pattern_has_a_row():
    """A new URL (public, member, clerk or admin) must get a row of the grid."""
    assert missing_rows(get_resolver().url_patterns) == []


def test_a_new_url_without_a_row_fails():
    from django.http import HttpResponse
    from django.urls import path

    patterns = [*get_resolver().url_patterns, path("new/", lambda r: HttpResponse(), name="new")]
    assert missing_rows(patterns) == ["new"]


# --- The grid ----------------------------------------------------------------------------


def _grid_params():
    for row in ROWS:
        for role in ROLES:
            if not FULL and role not in SLICE_ROLES:
                continue
            yield pytest.param(row, role, id=f"{row.key}|{role}")


@pytest.mark.parametrize("row, role", list(_grid_params()))
def test_grid(world, as_role, row, role):
    client = as_role(role)
    failures = []
    for cell in row.cells(world, role):
        if cell.method == "GET":
            response = client.get(cell.url)
        else:
            response = client.post(cell.url, cell.data or {})
        status = response.status_code
        expected = cell.allowed if cell.expect_allowed else cell.refused
        if status not in expected:
            failures.append(f"{cell.method} {cell.url}: {status}, expected {sorted(expected)}")
            continue
        body = _body(response)
        for text in forbidden_markers(world, role, public_page=cell.public_page):
            if text in body:
                failures.append(f"{cell.method} {cell.url}: shows «{text}»")
        if status == 500 or "Traceback" in body:
            failures.append(f"{cell.method} {cell.url}: server error")
        if cell.after is not None and (problem := cell.after()):
            failures.append(f"{cell.method} {cell.url}: {problem}")
    assert not failures, "\n".join(failures)


def _body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    text = content.decode("utf-8", errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        # JSON escapes nothing Chinese here, but be sure: compare the decoded data too.
        with contextlib.suppress(ValueError):
            text += json.dumps(json.loads(text), ensure_ascii=False)
    return text + response.get("Location", "")


def test_the_grid_covers_every_role_and_state():
    """The grid is what the module says: eight roles by three states on PostgreSQL."""
    assert len(ROLES) == 8 and STATES == ["draft", "published", "withdrawn"]
    assert settings.ROOT_URLCONF == "config.urls"
