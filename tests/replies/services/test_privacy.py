"""replies.services.privacy: personal data is masked in every public output of the sample
letters (pii.json's `mask` items), the look-alikes stay (its `keep` items), the office's
decisions apply everywhere and are recorded; the unnumbered samples get commitments from
their promises."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from core import roles
from replies.models import PersonalDataDecision, Reply
from replies.services import privacy
from replies.services.letters.importer import Letter, import_letters
from tests.samples import require_samples

pytestmark = pytest.mark.django_db


def _labels(root, folder: str) -> list[dict]:
    return json.loads((root / folder / "pii.json").read_text(encoding="utf-8"))


@pytest.fixture
def imported(db):
    """Both sample folders imported and published through the real importer: file → reply."""
    root = require_samples()
    files = sorted((root / "letters").glob("*.txt")) + sorted(
        (root / "more" / "letters").glob("*.txt")
    )
    letters = [Letter(text=path.read_text(encoding="utf-8")) for path in files]
    outcomes = import_letters(letters, publish=True)
    assert all(outcome.result is not None for outcome in outcomes), [o.error for o in outcomes]
    replies = {}
    for path, outcome in zip(files, outcomes, strict=True):
        key = ("more/" if path.parent.parent.name == "more" else "") + path.name
        replies[key] = outcome.result.reply
    return root, replies


def _public_outputs(client: Client, reply: Reply) -> dict[str, str]:
    proposal = reply.proposal
    pages = {
        "page": proposal.get_absolute_url(),
        "json": proposal.get_absolute_url() + "data.json",
        "feed": reverse("portal:department-feed", args=[reply.department_id]),
        "csv": reverse("portal:commitments-csv") + f"?department={reply.department_id}",
        "search": reverse("portal:search") + f"?department={reply.department_id}",
    }
    outputs = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        outputs[name] = body.decode("utf-8")
    outputs["json"] = json.dumps(json.loads(outputs["json"]), ensure_ascii=False)
    return outputs


def test_every_mask_item_is_absent_and_every_keep_item_shown(client, imported):
    root, replies = imported
    checked = 0
    for folder, prefix in (("", ""), ("more", "more/")):
        for entry in _labels(root, folder):
            reply = replies[prefix + entry["file"]]
            outputs = _public_outputs(client, reply)
            for item in entry["mask"]:
                for name, text in outputs.items():
                    assert item["text"] not in text, (entry["file"], item, name)
                search = client.get(reverse("portal:search"), {"q": item["text"][:40]})
                assert reply.proposal.get_absolute_url() not in search.content.decode(), item
                checked += 1
            for item in entry["keep"]:
                if item["text"] in reply.body:
                    assert item["text"] in reply.public_body, (entry["file"], item)
                    assert item["text"] in outputs["page"], (entry["file"], item)
    assert checked >= 20  # both folders' mask items (pii.json: 2 + 18)


def test_staff_see_the_original_and_the_office_decides(client, imported):
    root, replies = imported
    entry = next(e for e in _labels(root, "more") if e["mask"])
    reply = replies["more/" + entry["file"]]
    secret = entry["mask"][0]["text"]
    office = get_user_model().objects.create_user("office", password="x", is_staff=True)
    office.groups.add(Group.objects.get(name=roles.OFFICE))
    client.force_login(office)
    privacy_page = client.get(reverse("admin:replies_reply_privacy", args=[reply.pk]))
    assert secret in privacy_page.content.decode()
    page = Client().get(reply.proposal.get_absolute_url()).content.decode()
    assert secret not in page
    # The office shows it after all: recorded, and public at once.
    client.post(
        reverse("admin:replies_reply_privacy", args=[reply.pk]),
        {"action": "unmask", "text": secret},
    )
    assert PersonalDataDecision.objects.filter(reply=reply, action="unmask", text=secret)
    assert secret in Client().get(reply.proposal.get_absolute_url()).content.decode()
    # ... and hides another selection the detector left.
    words = reply.body.split("。")[0][-6:]
    client.post(
        reverse("admin:replies_reply_privacy", args=[reply.pk]),
        {"action": "mask", "text": words},
    )
    assert words not in Client().get(reply.proposal.get_absolute_url()).content.decode()


def test_a_clerk_cannot_decide(client, imported):
    _root, replies = imported
    reply = next(iter(replies.values()))
    from proposals.models import Clerk

    clerk = get_user_model().objects.create_user("clerk", password="x", is_staff=True)
    clerk.groups.add(Group.objects.get(name=roles.CLERK))
    Clerk.objects.create(user=clerk, department=reply.department)
    client.force_login(clerk)
    url = reverse("admin:replies_reply_privacy", args=[reply.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "unmask", "text": "x"}).status_code == 403
    assert not PersonalDataDecision.objects.exists()


def test_the_command_masks_replies_stored_before(imported):
    _root, replies = imported
    Reply.objects.update(public_body="")
    from django.core.management import call_command

    call_command("mask_personal_data", verbosity=0)
    for reply in replies.values():
        reply.refresh_from_db()
        assert reply.public_body == privacy.masked(reply.body, privacy.decisions_of(reply))


def test_unnumbered_samples_get_commitments_from_their_promises(imported):
    """A letter without numbered sections gets one commitment per paragraph that promises
    something, marked as derived; a letter with no promise gets none."""
    root, replies = imported
    checked = 0
    for folder, prefix in (("", ""), ("more", "more/")):
        labels = json.loads((root / folder / "promises.json").read_text(encoding="utf-8"))
        for entry in labels:
            reply = replies[prefix + entry["file"]]
            items = list(reply.commitments.order_by("number"))
            unnumbered = not any(item.marker for item in items) and not any(
                p["section"] for p in entry["promises"]
            )
            if not unnumbered:
                continue
            if entry["promises"]:
                assert items and all(item.derived for item in items), entry["file"]
                stored = [p["text"] for item in items for p in item.promises]
                assert stored, entry["file"]
                checked += 1
            else:
                assert items == [], entry["file"]
    assert checked >= 10
