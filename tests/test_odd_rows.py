"""One odd row must never take the site down (issue 16's observations, each through HTTP):
a proposal number with a slash, control characters in a letter, spreadsheet formulas in
CSV cells, hostile paths that answered 500, HEAD on public pages."""

import csv
import dataclasses
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from core import roles
from core.spreadsheet import safe_cell
from proposals.models import Proposal
from replies.models import CommitmentItem, Reply
from replies.parsing import parse_letter
from replies.services.letters.importer import import_letter

pytestmark = pytest.mark.django_db

LETTER = """关于市政协十五届五次会议第{number}号提案的答复
张三委员：
您提出的《关于{title}的建议》收悉，现答复如下：
一、关于{heading}
下一步，我们将于2030年底前完成{heading}。
临沂市住房和城乡建设局
2021年7月9日
"""
PUBLIC_PAGES = [
    "portal:home",
    "portal:search",
    "portal:commitments",
    "portal:feed",
    "portal:sitemap",
    "portal:commitments-csv",
    "portal:commitments-json",
    "portal:dashboard",
]


def imported(number: str, title: str, heading: str):
    """A letter whose number staff typed in the preview (free text: 269/2, D 022)."""
    text = LETTER.format(number="1", title=title, heading=heading)
    parsed = dataclasses.replace(parse_letter(text), proposal_number=number)
    return import_letter(text=text, parsed=parsed, force=True)


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8")


def test_a_number_with_a_slash_keeps_every_page_up(client):
    """Numbers stay as written (269/2); URLs use a slug (269-2) made at import."""
    result = imported("269/2", "老旧小区", "加装电梯")
    proposal = result.proposal
    assert proposal.number == "269/2" and proposal.slug == "269-2"
    assert proposal.get_absolute_url().endswith("/269-2/")
    for name in PUBLIC_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        text = body(response)
        if name in ("portal:home", "portal:search", "portal:commitments-csv", "portal:sitemap"):
            assert "/269-2/" in text, name
    page = client.get(proposal.get_absolute_url())
    assert page.status_code == 200 and "第269/2号" in body(page)
    assert client.get(proposal.get_absolute_url() + "data.json").status_code == 200
    # The department's feed and page too.
    department = result.reply.department
    assert client.get(reverse("portal:department-feed", args=[department.pk])).status_code == 200
    assert client.get(reverse("portal:department", args=[department.pk])).status_code == 200


def test_a_second_number_with_the_same_slug_gets_another(client):
    first = imported("269/2", "甲", "加装电梯").proposal
    second = imported("269-2", "乙", "改造管网").proposal
    assert first.session_id == second.session_id
    assert first.slug == "269-2" and second.slug.startswith("269-2-")
    assert client.get(second.get_absolute_url()).status_code == 200
    assert "乙" in body(client.get(second.get_absolute_url()))


def test_an_old_url_by_number_is_sent_to_the_slug(client):
    proposal = imported("D 022", "甲", "绿化").proposal
    assert proposal.slug == "D-022"
    old = proposal.get_absolute_url().replace("/D-022/", "/D 022/")
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == proposal.get_absolute_url()


def test_control_characters_are_removed_on_import_and_feeds_stay_up(client):
    letter = LETTER.format(number="31", title="路灯\x1b[31m", heading="维修路灯\x01")
    result = import_letter(text=letter)
    assert any("控制字符" in warning for warning in result.warnings)
    reply = Reply.objects.get()
    assert "\x1b" not in reply.body and "\x01" not in reply.body
    # A row stored before the cleaning existed: the feeds still answer.
    Reply.objects.filter(pk=reply.pk).update(public_body=reply.public_body + "\x1b\x01")
    for name in ("portal:feed",):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "\x1b" not in body(response)
    response = client.get(reverse("portal:department-feed", args=[reply.department_id]))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "formula", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]
)
def test_csv_cells_are_never_formulas(client, formula):
    import_letter(text=LETTER.format(number="41", title="甲", heading="整治河道"))
    CommitmentItem.objects.update(heading=formula)
    rows = list(csv.reader(io.StringIO(body(client.get(reverse("portal:commitments-csv"))))))
    headings = [row[5] for row in rows[1:]]
    assert headings == ["'" + formula]
    for table in ("oldest",):
        rows = list(
            csv.reader(io.StringIO(body(client.get(reverse("portal:dashboard-csv", args=[table])))))
        )
        assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert safe_cell(12) == 12 and safe_cell("正常") == "正常" and safe_cell("\tx") == "'\tx"


@pytest.mark.parametrize(
    "path",
    [
        "/p/a%00b/15-5/89/",
        "/media/evidence%00x",
        "/p/临沂市政协/²-5/89/",
        "/p/临沂市政协/2²/89/",
        "/admin/replies/reply/1/history/abc/",
        "/admin/replies/commitmentitem/?due_on__year=99999999",
        "/admin/replies/commitmentitem/?due_on__month=13&due_on__year=2021",
    ],
)
def test_paths_that_answered_500(path):
    office = get_user_model().objects.create_user("office", password="x", is_staff=True)
    office.groups.add(Group.objects.get(name=roles.OFFICE))
    client = Client(raise_request_exception=False)
    client.force_login(office)
    import_letter(text=LETTER.format(number="89", title="甲", heading="绿化"))
    response = client.get(path)
    assert response.status_code < 500, (path, response.status_code)


def test_head_is_answered_like_get_without_a_body(client):
    import_letter(text=LETTER.format(number="51", title="甲", heading="绿化"))
    proposal = Proposal.objects.get()
    for url in [reverse(name) for name in PUBLIC_PAGES] + [proposal.get_absolute_url()]:
        get, head = client.get(url), client.head(url)
        assert head.status_code == get.status_code == 200, url
        assert body(head) == "", url
