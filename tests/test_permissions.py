"""Who may do what, role by role and object by object: the admin's views, the clerk's
department scope, publishing, and the staff progress page.

Cross-cutting (every layer's access rule at once), so whole here rather than beside any one
module; docs/architecture.md.
"""

import pytest
from django.urls import reverse

from replies.models import CommitmentUpdate
from replies.services import progress, publication

pytestmark = pytest.mark.django_db


def admin_url(obj, view: str) -> str:
    meta = obj._meta
    args = [] if view in ("changelist", "add") else [obj.pk]
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


# (role, whose object, admin view) → expected status code
ADMIN_MATRIX = [
    # The office may do everything on any department's objects.
    *[("office", whose, view, 200) for whose in ("own", "other") for view in ("change", "history")],
    # A clerk sees their own department's reply and commitment...
    ("clerk", "own", "change", 200),
    ("clerk", "own", "history", 200),
    # ...and is refused another department's by URL.
    ("clerk", "other", "change", 403),
    ("clerk", "other", "history", 403),
    ("clerk", "other", "delete", 403),
    # A member has no admin at all.
    ("member", "own", "change", 302),
]


@pytest.mark.parametrize(
    "kind,role,whose,view,expected",
    [
        (kind, *row)
        for kind in ("reply", "item", "target")
        for row in ADMIN_MATRIX
        # Targets are edited inside their commitment; they keep no history of their own.
        if not (kind == "target" and row[2] == "history")
    ],
)
def test_admin_permission_matrix(client, world, kind, role, whose, view, expected):
    obj = world[whose][kind]
    client.force_login(world["users"][role])
    response = client.get(admin_url(obj, view))
    assert response.status_code == expected, (role, whose, view, kind)


@pytest.mark.parametrize("model_name", ["reply", "commitmentitem", "commitmentupdate", "target"])
def test_clerk_changelist_shows_only_own_department(client, world, model_name):
    progress.post_update(commitment=world["own"]["item"], status="in_progress")
    progress.post_update(commitment=world["other"]["item"], status="in_progress")
    client.force_login(world["users"]["clerk"])
    response = client.get(reverse(f"admin:replies_{model_name}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_clerk_autocomplete_offers_only_own_department(client, world):
    client.force_login(world["users"]["clerk"])
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "replies",
            "model_name": "commitmentupdate",
            "field_name": "commitment",
            "term": "",
        },
    )
    assert response.status_code == 200
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert ids == {world["own"]["item"].pk}


def test_clerk_cannot_post_update_for_other_department_in_admin(client, world):
    client.force_login(world["users"]["clerk"])
    response = client.post(
        reverse("admin:replies_commitmentupdate_add"),
        {"commitment": world["other"]["item"].pk, "date": "2024-01-01", "status": "fulfilled"},
    )
    assert response.status_code == 200  # form redisplayed: not a valid choice
    assert not CommitmentUpdate.objects.exists()


def test_clerk_cannot_publish(client, world):
    draft = world["own"]["reply"]
    publication.withdraw_reply(reply=draft, reason="测试：撤回", actor=None)
    client.force_login(world["users"]["clerk"])
    response = client.post(
        reverse("admin:replies_reply_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert not draft.is_published
    assert response.status_code in (200, 302)


SITE_MATRIX = [
    ("anonymous", "own", 302),
    ("member", "own", 403),
    ("clerk", "own", 200),
    ("clerk", "other", 403),
    ("office", "other", 200),
]


@pytest.mark.parametrize("role,whose,expected", SITE_MATRIX)
def test_progress_page_permissions(client, world, role, whose, expected):
    if role != "anonymous":
        client.force_login(world["users"][role])
    response = client.get(reverse("portal:progress", args=[world[whose]["item"].pk]))
    assert response.status_code == expected
