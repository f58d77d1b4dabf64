"""The roles of DESIGN.md as Django groups, and the checks the admin and views share.

- proposal office (提案委): everything in the admin; publishes replies;
- department clerk (承办单位经办人): replies, commitments and updates of their own
  department only (a ``Clerk`` row links the user to the department);
- committee member (委员): a public-site login linked to a ``Proposer``;
- public: published data only (no account).
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ObjectDoesNotExist

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


def clerk_department_id(user) -> int | None:
    """The department a clerk is limited to; None for everyone else (office, superuser)."""
    if not user.is_authenticated or user.is_superuser:
        return None
    if not hasattr(user, "_clerk_department_id"):
        try:
            user._clerk_department_id = user.clerk.department_id
        except ObjectDoesNotExist:
            user._clerk_department_id = None
    return user._clerk_department_id


def is_office(user) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=OFFICE).exists()


def can_publish(user) -> bool:
    return user.has_perm("replies.publish_reply")
