"""The roles of DESIGN.md as Django groups, and the checks the admin and views share.

- proposal office (提案委): everything in the admin; publishes replies;
- department clerk (承办单位经办人): replies, commitments and updates of their own
  department only (a ``Clerk`` row links the user to the department);
- committee member (委员): a public-site login linked to a ``Proposer``;
- public: published data only (no account).
"""

from enum import StrEnum

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _

OFFICE = "提案委"
CLERK = "承办单位经办人"
MEMBER = "委员"

_ALL = ("add", "change", "delete", "view")
ROLE_PERMISSIONS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    OFFICE: {
        ("proposals", "committee"): _ALL,
        ("proposals", "session"): _ALL,
        ("proposals", "proposer"): _ALL,
        ("proposals", "department"): _ALL,
        ("proposals", "topic"): _ALL,
        ("proposals", "proposal"): _ALL,
        ("proposals", "proposalproposer"): _ALL,
        ("proposals", "clerk"): _ALL,
        ("proposals", "deadlineextension"): _ALL,
        ("replies", "reply"): (*_ALL, "publish"),
        ("replies", "commitmentitem"): _ALL,
        ("replies", "target"): _ALL,
        ("replies", "commitmentupdate"): ("add", "view"),
        ("replies", "reminder"): ("view",),
        ("replies", "deadlinechange"): ("add", "change", "view"),
        ("replies", "replyrevision"): ("change", "view"),
    },
    CLERK: {
        ("proposals", "proposal"): ("view",),
        ("proposals", "department"): ("view",),
        ("proposals", "topic"): ("view",),
        ("proposals", "session"): ("view",),
        ("proposals", "proposer"): ("view",),
        ("proposals", "deadlineextension"): ("add", "view"),
        ("replies", "reply"): ("add", "change", "view"),
        ("replies", "commitmentitem"): ("add", "change", "view"),
        ("replies", "target"): ("add", "change", "delete", "view"),
        ("replies", "commitmentupdate"): ("add", "view"),
        ("replies", "deadlinechange"): ("add", "view"),
        ("replies", "replyrevision"): ("view",),
    },
    MEMBER: {},
}


def ensure_roles() -> None:
    """Create or refresh the groups and their permissions; safe to run any number of times."""
    # After migrate, permissions are created app by app: make sure the ones granted exist
    # whichever app's post_migrate runs this.
    for app_label in {
        app_label for grants in ROLE_PERMISSIONS.values() for app_label, _m in grants
    }:
        create_permissions(apps.get_app_config(app_label), verbosity=0)
    for name, grants in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = []
        for (app_label, model), actions in grants.items():
            for action in actions:
                codename = "publish_reply" if action == "publish" else f"{action}_{model}"
                wanted.extend(
                    Permission.objects.filter(content_type__app_label=app_label, codename=codename)
                )
        group.permissions.set(wanted)


class Role(StrEnum):
    """Who a user is, for every access rule (``visible_to``/``editable_by`` of the models)."""

    PUBLIC = "public"  # anonymous, or a logged-in user with no role
    MEMBER = "member"  # a committee member: a user linked from a Proposer
    CLERK = "clerk"  # a department clerk: in the clerk group (their department may be missing)
    OFFICE = "office"  # the proposal office: superusers and the office group
    STAFF = "staff"  # a staff user in no group: the admin shows them nothing


def role_of(user) -> Role:
    """The user's role, read once per request (cached on the user object).

    The office group wins over the clerk group; a staff user in neither group is STAFF,
    who may see in the admin nothing more than the public sees on the site.
    """
    if user is None or not user.is_authenticated:
        return Role.PUBLIC
    cached = getattr(user, "_role", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        role = Role.OFFICE
    else:
        groups = set(user.groups.values_list("name", flat=True))
        if OFFICE in groups:
            role = Role.OFFICE
        elif CLERK in groups:
            role = Role.CLERK
        elif user.is_staff:
            role = Role.STAFF
        else:
            role = Role.MEMBER if _has_proposer(user) else Role.PUBLIC
    user._role = role
    return role


def _has_proposer(user) -> bool:
    try:
        return user.proposer is not None
    except ObjectDoesNotExist:
        return False


def department_of(user) -> int | None:
    """The department a clerk works for; None for a clerk without one (or whose department
    was deleted) and for every other role. A clerk without a department sees nothing of
    any department: the rules fail closed."""
    if role_of(user) != Role.CLERK:
        return None
    if not hasattr(user, "_department_id"):
        try:
            user._department_id = user.clerk.department_id
        except ObjectDoesNotExist:
            user._department_id = None
    return user._department_id


def is_office(user) -> bool:
    return role_of(user) == Role.OFFICE


def can_publish(user) -> bool:
    return is_office(user) and user.has_perm("replies.publish_reply")


def clerk_without_department(user) -> bool:
    return role_of(user) == Role.CLERK and department_of(user) is None


NO_DEPARTMENT_MESSAGE = _(
    "您的账号属于承办单位经办人，但没有关联承办单位（或所属单位已被删除），因此看不到任何单位的数据。"
    "请联系提案委在“承办单位经办人”中为您指定单位。"
)
