"""Staff's side of point-by-point coverage: the proposal text on the proposal's admin page
(saved through the service), the comparison in the letter import preview, and the demo's
proposal texts (``make run``)."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from proposals.models import Proposal
from replies.demo import PROPOSAL_TEXTS
from replies.selectors import staff_coverage
from replies.services.coverage import save_proposal_text

pytestmark = pytest.mark.django_db

TEXT = "建议：\n1. 建设临时停车场。\n2. 开放机关停车位。\n\n联系人：周海燕，手机13800138000\n"


def change_data(client, url: str) -> dict:
    """The change form's current values, as a browser would post them back."""
    page = client.get(url)
    assert page.status_code == 200
    data = {}
    form = page.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None or value is False else value
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{formset.formset.prefix}-{name}"] = management[name].value()
        for index, inline in enumerate(formset.formset.forms):
            for name in inline.fields:
                value = inline[name].value()
                data[f"{formset.formset.prefix}-{index}-{name}"] = "" if value is None else value
    return data


def test_the_office_enters_and_publishes_the_text_on_the_proposal_page(client, world):
    proposal = world["own"]["proposal"]
    client.force_login(world["users"]["office"])
    url = reverse("admin:proposals_proposal_change", args=[proposal.pk])
    data = change_data(client, url)
    data["proposal_text"] = TEXT
    data["proposal_text_public"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    proposal.refresh_from_db()
    assert proposal.text == TEXT.strip()
    assert proposal.text_public
    assert "13800138000" not in proposal.public_text
    page = client.get(url).content.decode()
    assert "逐条答复对照" in page and "建设临时停车场" in page


def test_a_clerk_reads_the_comparison_but_cannot_change_the_proposal(client, world):
    """Clerks do not edit proposals in the admin (the service also refuses them the
    switch: tests/replies/services/test_coverage.py); they see the comparison."""
    proposal = world["own"]["proposal"]
    save_proposal_text(proposal=proposal, text=TEXT, public=False)
    client.force_login(world["users"]["clerk"])
    url = reverse("admin:proposals_proposal_change", args=[proposal.pk])
    data = change_data(client, url)
    assert "建设临时停车场" in client.get(url).content.decode()
    data["proposal_text"] = "建议：\n1. 另一件事。\n2. 再一件事。"
    data["proposal_text_public"] = "on"
    assert client.post(url, data).status_code == 403
    proposal.refresh_from_db()
    assert proposal.text == TEXT.strip()
    assert not proposal.text_public and proposal.public_text == ""


def _seed_text():
    return next(demo for demo in PROPOSAL_TEXTS if demo.number == "89")


def test_the_import_preview_flags_exactly_the_omitted_suggestion(admin_client, seed):
    """The seed letter's proposal with the demo's text (six paraphrased suggestions, the
    fourth answered nowhere): previewing the letter again flags 4 and nothing else."""
    demo = _seed_text()
    save_proposal_text(proposal=seed.proposal, text=demo.text, public=False)
    preview = admin_client.post(
        reverse("admin:replies_reply_import"), {"text": _letter(), "preview": "1"}
    )
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "逐条答复对照" in html
    flagged = [n for n in range(1, 8) if f"建议{n}未见答复" in html]
    assert flagged == list(demo.unanswered) == [4]


def _letter() -> str:
    from django.conf import settings

    return (settings.SAMPLES_DIR / "letters" / "001.txt").read_text(encoding="utf-8")


def test_load_demo_gives_the_seed_proposal_its_text(samples_dir, settings, capsys):
    settings.SAMPLES_DIR = samples_dir
    call_command("load_demo")
    assert "提案原文（演示）" in capsys.readouterr().out
    demo = _seed_text()
    proposal = Proposal.objects.get(
        session__committee__name__startswith="临沂",
        session__term=15,
        session__meeting=5,
        number="89",
    )
    assert proposal.text and not proposal.text_public and proposal.public_text == ""
    from django.contrib.auth import get_user_model

    office = get_user_model().objects.create_superuser("boss", password="pw-123456")
    coverage = staff_coverage(proposal, office)
    assert [s.number for s in coverage.unanswered] == list(demo.unanswered)


def test_load_demo_without_samples_publishes_the_made_up_text(tmp_path, settings, client):
    settings.SAMPLES_DIR = tmp_path / "none"
    call_command("load_demo")
    demo = next(demo for demo in PROPOSAL_TEXTS if demo.number == "12")
    proposal = Proposal.objects.get(number="12")
    assert proposal.text_public
    page = client.get(proposal.get_absolute_url()).content.decode()
    flagged = [n for n in range(1, 6) if f"建议{n}未见答复" in page]
    assert flagged == list(demo.unanswered) == [3]
    assert "13800000000" not in page


def _errors(response) -> str:
    context = response.context
    if context is None or "adminform" not in context:
        return response.content.decode()[:2000]
    errors = dict(context["adminform"].form.errors)
    for formset in context["inline_admin_formsets"]:
        errors[formset.formset.prefix] = [formset.formset.errors, formset.formset.non_form_errors()]
    return repr(errors)
