"""portal.views.evidence: uploaded evidence is served only through the download view, as
a download, to those who may see the commitment it belongs to."""

import pytest
from django.urls import reverse

from tests.helpers import PDF

pytestmark = pytest.mark.django_db


def test_file_urls_go_through_the_download_view(evidence_world):
    update = evidence_world["public"]
    assert update.attachment.url == reverse("evidence-file", args=[update.attachment.name])


def test_public_evidence_is_a_safe_download(client, evidence_world):
    update = evidence_world["public"]
    response = client.get(update.attachment.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''public" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 404), ("other_clerk", 404), ("office", 200), ("member", 200)],
)
def test_draft_evidence_only_for_those_who_may_see_the_draft(client, evidence_world, who, status):
    """A draft's evidence: the office and the proposal's own proposer, nobody else; for
    the others it does not exist (404), as the draft itself does not."""
    if who:
        client.force_login(evidence_world[who])
    response = client.get(evidence_world["draft"].attachment.url)
    assert response.status_code == status
    if status == 200:
        assert "no-store" in response["Cache-Control"]


def test_files_without_an_update_and_odd_paths_are_not_served(client, evidence_world, media):
    (media / "evidence").mkdir(parents=True, exist_ok=True)
    (media / "evidence" / "orphan.pdf").write_bytes(PDF)
    for path in [
        "/media/evidence/orphan.pdf",
        "/media/../config/settings.py",
        "/media/%2e%2e/config/settings.py",
        "/media/evidence/",
        "/media/" + "a" * 5000,
    ]:
        assert client.get(path).status_code == 404, path
