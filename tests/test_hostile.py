"""Hostile and bad input: every form, filter, import path and JSON endpoint.

Each malformed, oversized or hostile value gets a clear error (or, for search and filters,
an empty but valid result), nothing is stored half-done, and nothing a user typed reaches a
page unescaped. The letter parser survives generated input (hypothesis): 100,000 letters
when HYPOTHESIS_PROFILE=ci, or CI=true without another HYPOTHESIS_PROFILE (.ci/run: once, on
PostgreSQL), fewer otherwise.
"""

import datetime
import io
import json
import os
import re
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from core import roles
from proposals.models import Department, Proposal
from replies.models import Reply, Target
from replies.parsing import ParsedLetter, parse_letter, read_letter_bytes
from replies.services import progress, publication
from replies.services.letters import importer
from tests import factories
from tests.helpers import preview_form_data

User = get_user_model()

# ---------------------------------------------------------------------------
# The values
# ---------------------------------------------------------------------------

# Markup that would run or break out of an attribute if it reached a page as it is.
XSS = [
    "<script>alert('x1')</script>",
    '"><img src=x onerror=alert(2)>',
    "' autofocus onfocus='alert(3)",
    "</textarea></title><svg onload=alert(4)>",
    "javascript:alert(5)",
]
# What must never appear verbatim in HTML: each would be escaped if handled right.
UNESCAPED = re.compile(
    r"<script>alert|<img src=x|' autofocus onfocus='|<svg onload|href=\"javascript:", re.I
)
SQLISH = [
    "1' OR '1'='1",
    "'; DROP TABLE replies_reply; --",
    "%' UNION SELECT password FROM auth_user --",
    "\\",
    "%_%",
]
ODD = [
    "a\x00b",
    "\x00",
    "\u202e\u0644\u0627",
    "𠮷𪚥👍",
    "\ufeff",
    "长" * 5000,
    "   ",
    "",
]
NUMBERS = ["-1", "0", "1e309", "NaN", "inf", "99999999999999999999999", "1.5", "²", "٣", "0x10"]
DATES = ["2021-02-30", "2021-13-01", "0000-00-00", "9999-12-31", "２０２１-０２-０１", "-1"]
VALUES = [*XSS, *SQLISH, *ODD, *NUMBERS, *DATES]
# Raw query strings with bytes that are not UTF-8: invalid sequences, and GBK.
RAW_QUERIES = [
    "%FF%FE%C3%28",
    quote("中文提案".encode("gbk")),
    "%00",
    "%E4%B8",  # a truncated UTF-8 character
]


def assert_safe(response, url=""):
    """Not a server error, and if it is a page, nothing hostile in it unescaped."""
    assert response.status_code < 500, (url, response.status_code)
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    if "html" in content_type:
        match = UNESCAPED.search(text)
        assert match is None, (url, text[max(0, match.start() - 200) : match.end() + 200])
    if "json" in content_type and response.status_code == 200:
        json.loads(text)
    if "xml" in content_type and response.status_code == 200:
        assert "<script>" not in text
    return text


def row_counts() -> dict[str, int]:
    """Rows of every table of ours: what a refused submission must leave as it was."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"proposals", "replies", "auth"}
    }


# What only the draft says: none of it may reach a public page, search result or export.
DRAFT_SECRETS = [
    "草稿提案的秘密标题",
    "尚未公开的草稿答复",
    "草稿承诺的秘密小标题",
    "草稿承诺的秘密正文",
]


def _draft_beside(seed):
    """A draft reply in the seed's session, department and topic, so that filters pointing
    at it find the published seed beside it; its commitments are overdue and in progress,
    with a target and an update, so that every commitment filter and list could show them.
    It was published once and withdrawn."""
    department = seed.reply.department
    topic = seed.reply.commitments.order_by("number").first().topic
    proposal = factories.ProposalFactory(
        session=seed.proposal.session,
        number="D999",
        title="关于草稿提案的秘密标题的建议",
        lead_department=department,
    )
    proposal.topics.add(topic)
    draft = factories.ReplyFactory(
        proposal=proposal,
        department=department,
        body="这是尚未公开的草稿答复，同样提到孵化器和科技创新。",
        classification="B",
        published_at=None,
    )
    for number in (1, 2):
        item = factories.CommitmentFactory(
            reply=draft,
            number=number,
            heading=f"关于草稿承诺的秘密小标题{number}",
            text=f"草稿承诺的秘密正文{number}：下一步，我们将新增孵化器。",
            topic=topic,
            owner=department,
            due_on=datetime.date(2021, 12, 31),
        )
        factories.TargetFactory(commitment=item)
        progress.post_update(commitment=item, status="in_progress", note="草稿进展")
    # Public once and withdrawn: its text went into the search index and must be gone.
    publication.publish_reply(reply=draft)
    publication.withdraw_reply(reply=draft, reason="测试：撤回", actor=None)
    return draft


@pytest.fixture
def world(db, seed):
    """The seed letter imported and published, a draft too, and the users of each role."""
    roles.ensure_roles()
    office = User.objects.create_user("office", password="office-pass-1", is_staff=True)
    office.groups.add(Group.objects.get(name=roles.OFFICE))
    member = User.objects.create_user("member", password="member-pass-1")
    proposer = seed.proposal.proposers.first()
    proposer.user = member
    proposer.save()
    draft = _draft_beside(seed)
    return {
        "seed": seed,
        "office": office,
        "member": member,
        "commitment": seed.reply.commitments.order_by("number").first(),
        "draft": draft,
    }


# ---------------------------------------------------------------------------
# Filters, search, pagination, feeds and JSON: GET with every value in every parameter
# ---------------------------------------------------------------------------

SEARCH_PARAMS = [
    "q",
    "committee",
    "session",
    "kind",
    "department",
    "topic",
    "classification",
    "status",
    "year",
    "sort",
    "page",
]
COMMITMENT_PARAMS = ["status", "department", "topic", "session", "due_after", "due_before", "page"]


def public_endpoints(world) -> dict[str, list[str]]:
    proposal = world["seed"].proposal
    department = world["seed"].reply.department_id
    return {
        reverse("portal:home"): ["q"],
        reverse("portal:search"): SEARCH_PARAMS,
        reverse("portal:commitments"): COMMITMENT_PARAMS,
        reverse("portal:commitments-csv"): COMMITMENT_PARAMS,
        reverse("portal:commitments-json"): COMMITMENT_PARAMS,
        reverse("portal:dashboard"): ["session", "department"],
        reverse("portal:dashboard-csv", args=["sessions"]): ["session", "department"],
        reverse("portal:dashboard-csv", args=["overdue"]): ["session", "department"],
        reverse("portal:department", args=[department]): ["page"],
        proposal.get_absolute_url(): ["page"],
        reverse("portal:detail-json", kwargs=_detail_kwargs(proposal)): ["page"],
        reverse("portal:feed"): ["page"],
        reverse("portal:department-feed", args=[department]): ["page"],
        reverse("portal:sitemap"): ["p"],
        reverse("portal:robots"): ["x"],
        "/healthz": ["x"],
    }


def _detail_kwargs(proposal) -> dict[str, str]:
    return {
        "committee": proposal.session.committee.slug,
        "session": proposal.session.slug,
        "number": proposal.number,
    }


def test_every_public_parameter_takes_every_value(client, world):
    """All parameters at once with each value, then each parameter alone with the values
    most likely to break it: never a server error, never unescaped markup."""
    troublemakers = ["a\x00b", "²", "99999999999999999999999", "-1", "2021-02-30", XSS[1]]
    before = row_counts()
    for url, params in public_endpoints(world).items():
        for value in VALUES:
            assert_safe(client.get(url, dict.fromkeys(params, value)), url)
        for param in params:
            for value in troublemakers:
                assert_safe(client.get(url, {param: value}), f"{url}?{param}")
            for raw in RAW_QUERIES:
                assert_safe(client.get(url, QUERY_STRING=f"{param}={raw}"), f"{url}?{param}")
    assert row_counts() == before


def test_search_for_hostile_text_is_an_empty_valid_result(client, world):
    """Search treats anything as text to find: a normal results page, no match. (A query
    with nothing searchable in it, only punctuation, is no query: every result.)"""
    for value in [*XSS, *SQLISH[:3], "𠮷𪚥👍"]:
        response = client.get(reverse("portal:search"), {"q": value})
        assert response.status_code == 200
        text = assert_safe(response)
        assert response.context["page"].paginator.count == 0, value
        assert "找到 0 件" in text
    for value in [*SQLISH[3:], "\ufeff", "长" * 5000]:
        response = client.get(reverse("portal:search"), {"q": value})
        assert response.status_code == 200
        assert_safe(response)


def test_nul_in_a_query_string_is_a_clear_400(client, world):
    """NUL is in no text of ours; PostgreSQL cannot compare text with it. Anywhere in a
    query string (the public search, the admin's search box) it gets the 400 page."""
    client.force_login(world["office"])
    for url in [
        reverse("portal:search"),
        reverse("portal:commitments-json"),
        reverse("admin:replies_commitmentitem_changelist"),
    ]:
        for params in [{"q": "a\x00b"}, {"a\x00": "1"}]:
            response = client.get(url, params)
            assert response.status_code == 400
            assert "格式不正确" in assert_safe(response)


def test_unknown_filter_values_are_named_not_fatal(client, world):
    response = client.get(reverse("portal:search"), {"status": "nonsense", "kind": XSS[0]})
    assert response.status_code == 200
    text = assert_safe(response)
    assert "&lt;script&gt;alert" in text or "选择一个有效的选项" in text


@pytest.mark.parametrize("page", ["-1", "0", "abc", "99999999999999999999", "1e3", "²"])
def test_page_that_is_not_a_page_is_a_404_page(client, world, page):
    for url in [reverse("portal:search"), reverse("portal:commitments")]:
        response = client.get(url, {"page": page})
        assert response.status_code == 404
        assert "页面不存在" in assert_safe(response)


@pytest.mark.parametrize(
    "path",
    [
        "/p/%FF%FE/1-1/1/",
        "/p/" + quote("中文".encode("gbk")) + "/x/1/",
        "/p/<script>/1-1/1/",
        "/p/x/1-1/" + "9" * 200 + "/",
        "/p/x/1-1/1/data.json",
        "/departments/99999999999999999999/",
        "/feeds/departments/99999999999999999999/",
        "/dashboard/<script>.csv",
        "/media/%FF%FE",
    ],
)
def test_hostile_paths_are_not_found(client, world, path):
    response = client.get(path)
    assert response.status_code == 404
    assert_safe(response, path)


def test_a_nul_in_the_path_is_a_bad_request(client, world):
    """NUL can be in no URL of ours (the database refuses it in text): 400 with the
    Chinese page, before any view runs (core.middleware)."""
    response = client.get("/p/x/%00/1/")
    assert response.status_code == 400
    assert_safe(response, "/p/x/%00/1/")


def test_draft_replies_stay_hidden_whatever_the_filter(client, world):
    """A draft's proposal, letter and commitments appear in no public output — pages,
    search, CSV, JSON, dashboard, feeds, sitemap — with no filter or with filters that
    point straight at it; its own page and JSON do not exist. Published, the same draft
    shows in each, so that every check here can fail."""
    draft = world["draft"]
    item = draft.commitments.order_by("number").first()
    secrets = [*DRAFT_SECRETS, draft.proposal.get_absolute_url()]
    filtered = [
        reverse("portal:search"),
        reverse("portal:commitments"),
        reverse("portal:commitments-csv"),
        reverse("portal:commitments-json"),
        reverse("portal:dashboard"),
        reverse("portal:dashboard-csv", args=["overdue"]),
        reverse("portal:dashboard-csv", args=["oldest"]),
    ]
    unfiltered = [
        reverse("portal:home"),
        reverse("portal:feed"),
        reverse("portal:department-feed", args=[draft.department_id]),
        reverse("portal:sitemap"),
        reverse("portal:department", args=[draft.department_id]),
    ]
    filters = [
        {},
        {"q": "秘密"},
        {"q": "草稿"},
        {"q": "孵化器"},
        {"committee": draft.proposal.session.committee.slug},
        {"session": draft.proposal.session_id},
        {"department": draft.department_id},
        {"topic": item.topic.key},
        {"classification": "B"},
        {"status": "in_progress"},
        {"status": "overdue"},
        {"due_before": "2021-12-31", "due_after": "2021-12-31"},
        {"year": draft.proposal.session.year},
    ]

    def shown(url, params=None) -> str:
        response = client.get(url, params)
        assert response.status_code == 200, (url, params)
        return assert_safe(response, url)

    for url in filtered:
        for params in filters:
            page = shown(url, params)
            assert not [s for s in secrets if s in page], (url, params)
    for url in unfiltered:
        page = shown(url)
        assert not [s for s in secrets if s in page], url
    for url in (draft.proposal.get_absolute_url(), draft.proposal.get_absolute_url() + "data.json"):
        # Withdrawn: the notice of the withdrawal (410), never the text.
        response = client.get(url)
        assert response.status_code == 410, url
        assert "撤回" in response.content.decode()
        assert not [s for s in DRAFT_SECRETS if s in response.content.decode()], url

    publication.publish_reply(reply=draft)
    for url in [*filtered[:4], *unfiltered]:
        page = shown(url, {"department": draft.department_id} if url in filtered else None)
        assert [s for s in secrets if s in page], url
    assert client.get(draft.proposal.get_absolute_url() + "data.json").status_code == 200


def test_admin_changelists_search_and_filters(client, world):
    """The admin's search boxes, filters, ordering and autocomplete (a JSON endpoint)."""
    client.force_login(world["office"])
    changelists = [
        ("replies", "reply"),
        ("replies", "commitmentitem"),
        ("replies", "commitmentupdate"),
        ("replies", "target"),
        ("proposals", "proposal"),
        ("proposals", "department"),
    ]
    for value in [*XSS, "a\x00b", "1' OR '1'='1", "²", "-1", "2021-02-30"]:
        for app_label, model in changelists:
            url = reverse(f"admin:{app_label}_{model}_changelist")
            for params in [{"q": value}, {"o": value}, {"p": value}, {"status": value}]:
                assert_safe(client.get(url, params), f"{url} {params}")
        autocomplete = client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "replies",
                "model_name": "commitmentitem",
                "field_name": "reply",
                "term": value,
            },
        )
        assert autocomplete.status_code in (200, 400, 403, 404)
        if autocomplete.status_code == 200:
            json.loads(autocomplete.content)


# ---------------------------------------------------------------------------
# Forms: logins, rating, staff progress
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_logins_take_hostile_credentials(client, world, url):
    for value in [*XSS, *SQLISH, "a\x00b", "长" * 5000, "𠮷"]:
        response = client.post(url, {"username": value, "password": value, "next": value})
        assert response.status_code in (200, 429)
        assert_safe(response, url)
        assert "_auth_user_id" not in client.session


def test_rating_refuses_hostile_values_and_escapes_the_comment(client, world):
    """A hostile satisfaction value or comment is refused with a message and stores
    nothing; a comment with markup is stored as it is and escaped; someone else's reply is
    not found and stays unrated."""
    client.force_login(world["member"])
    reply = world["seed"].reply
    status = reply.proposal.status
    url = reverse("portal:rate", args=[reply.pk])

    def rate(data: dict) -> str:
        response = client.post(url, data, follow=True)
        assert response.redirect_chain == [(reverse("portal:mine"), 302)]
        reply.refresh_from_db()
        return assert_safe(response)

    for value in [*XSS, "a\x00b", "", "unsatisfied\x00"]:
        page = rate({"satisfaction": value, "comment": "x"})
        assert "请选择满意程度后再提交。" in page, value
        assert (reply.satisfaction, reply.satisfaction_comment, reply.rated_at) == ("", "", None)
    for comment in ["a\x00b", "长" * 2001]:
        page = rate({"satisfaction": "satisfied", "comment": comment})
        assert "评价未保存：意见" in page
        assert (reply.satisfaction, reply.satisfaction_comment, reply.rated_at) == ("", "", None)
    for comment in XSS:
        page = rate({"satisfaction": "satisfied", "comment": comment})
        assert "感谢您的评价。" in page
        assert (reply.satisfaction, reply.satisfaction_comment) == ("satisfied", comment)
        assert_safe(client.get(reverse("portal:mine")))
        assert_safe(client.get(reply.proposal.get_absolute_url()))
    reply.proposal.refresh_from_db()
    assert reply.proposal.status == status
    # Someone else's reply: not found, not rated.
    other = factories.ReplyFactory()
    response = client.post(reverse("portal:rate", args=[other.pk]), {"satisfaction": "satisfied"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert (other.satisfaction, other.rated_at) == ("", None)


def _progress(item, target, **overrides):
    data = {
        "version": item.version,
        "date": "2021-10-01",
        "status": "in_progress",
        "note": "进展",
        "evidence_url": "",
        f"achieved_{target.pk}": "3",
    }
    data.update(overrides)
    return data


@pytest.fixture
def target(world):
    item = world["commitment"]
    return Target.objects.filter(commitment=item).first() or factories.TargetFactory(
        commitment=item
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date", "2021-02-30", "有效的日期"),
        ("date", "0000-00-00", "有效的日期"),
        ("date", "a\x00b", "有效的日期"),
        ("status", "done';--", "选择一个有效的选项"),
        ("status", XSS[0], "选择一个有效的选项"),
        ("note", "a\x00b", "空字符"),
        ("note", "长" * 5001, "5000"),
        ("evidence_url", "javascript:alert(5)", "有效的 URL"),
        ("evidence_url", "data:text/html,<script>alert(1)</script>", "有效的 URL"),
        ("achieved", "-1", "大于或等于0"),
        ("achieved", "1e20", "14 个数字"),
        ("achieved", "99999999999999999999", "14 个数字"),
        ("achieved", "NaN", "数字"),
        ("achieved", "inf", "数字"),
        ("achieved", "²", "数字"),
        ("version", "abc", "表单已失效"),
        ("version", "-1", "已被他人"),
        ("version", "99999999999999999999", "已被他人"),
    ],
)
def test_progress_form_refuses_bad_values_and_stores_nothing(
    client, world, target, field, value, message
):
    item = world["commitment"]
    client.force_login(world["office"])
    before, version, achieved = row_counts(), item.version, target.achieved
    key = f"achieved_{target.pk}" if field == "achieved" else field
    response = client.post(
        reverse("portal:progress", args=[item.pk]), _progress(item, target, **{key: value})
    )
    assert response.status_code == 200
    text = assert_safe(response)
    assert message in text, text[text.find("errors") : text.find("errors") + 600]
    assert row_counts() == before
    item.refresh_from_db()
    target.refresh_from_db()
    assert (item.version, target.achieved) == (version, achieved)


def test_progress_note_with_markup_is_stored_and_escaped(client, world, target):
    item = world["commitment"]
    client.force_login(world["office"])
    for note in XSS:
        item.refresh_from_db()
        response = client.post(
            reverse("portal:progress", args=[item.pk]), _progress(item, target, note=note)
        )
        assert response.status_code == 302
    assert set(item.updates.values_list("note", flat=True)) >= set(XSS)
    for url in [
        reverse("portal:progress", args=[item.pk]),
        item.reply.proposal.get_absolute_url(),
        reverse("portal:dashboard"),
        reverse("admin:replies_commitmentitem_change", args=[item.pk]),
        reverse("admin:replies_commitmentupdate_changelist") + "?q=alert",
    ]:
        assert_safe(client.get(url), url)
    data = client.get(reverse("portal:detail-json", kwargs=_detail_kwargs(item.reply.proposal)))
    notes = json.dumps(json.loads(data.content), ensure_ascii=False)
    assert "<script>alert('x1')</script>" in notes  # JSON carries the text as it is


def test_ten_megabyte_form_body_is_a_clear_400(client, world, target):
    """Bodies beyond DATA_UPLOAD_MAX_MEMORY_SIZE: the Chinese 400 page, nothing stored."""
    item = world["commitment"]
    client.force_login(world["office"])
    before = row_counts()
    big = "长" * (10 * 1024 * 1024 // 3)
    response = client.post(
        reverse("portal:progress", args=[item.pk]), _progress(item, target, note=big)
    )
    assert response.status_code == 400
    assert "提交的内容过大" in response.content.decode()
    login = client.post(reverse("portal:login"), {"username": big, "password": "x"})
    assert login.status_code == 400
    assert row_counts() == before


def test_invalid_utf8_form_body(client, world, target):
    """Bytes that are not UTF-8 in a urlencoded body are read as replacement characters:
    the value is refused or stored as text, never a server error."""
    item = world["commitment"]
    client.force_login(world["office"])
    body = "&".join(
        [
            f"version={item.version}",
            "date=2021-10-01",
            "status=in_progress",
            "note=%FF%FE" + quote("中文".encode("gbk")) + "%E4%B8",
            f"achieved_{target.pk}=%FF",
        ]
    )
    response = client.post(
        reverse("portal:progress", args=[item.pk]),
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "数字" in assert_safe(response)


# ---------------------------------------------------------------------------
# Admin forms
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "achieved"),
    # Achieved values are not typed here: they come from progress reports (their own form).
    [("-5", ""), ("0", ""), ("1e20", ""), ("99999999999999999", ""), ("NaN", "")],
)
def test_admin_target_quantities(client, world, quantity, achieved):
    client.force_login(world["office"])
    before = row_counts()
    response = client.post(
        reverse("admin:replies_target_add"),
        {
            "commitment": world["commitment"].pk,
            "text": XSS[0],
            "quantity": quantity,
            "unit": "家",
            "achieved": achieved,
        },
    )
    assert response.status_code == 200
    assert "errornote" in assert_safe(response)
    assert row_counts() == before


def test_admin_objects_with_markup_are_escaped_everywhere(client, world):
    client.force_login(world["office"])
    for index, name in enumerate(XSS):
        response = client.post(
            reverse("admin:proposals_department_add"), {"name": f"{name}{index}", "aliases": name}
        )
        assert response.status_code == 302, response.content.decode()[:500]
    department = Department.objects.get(name=f"{XSS[0]}0")
    item = world["commitment"]
    item.owner = department
    item.heading = XSS[1]
    item.save()
    for url in [
        reverse("admin:proposals_department_changelist"),
        reverse("admin:proposals_department_change", args=[department.pk]),
        reverse("admin:replies_commitmentitem_changelist"),
        reverse("admin:replies_commitmentitem_change", args=[item.pk]),
        reverse("portal:commitments"),
        reverse("portal:department", args=[department.pk]),
        reverse("portal:department-feed", args=[department.pk]),
        reverse("portal:dashboard"),
        item.reply.proposal.get_absolute_url(),
    ]:
        assert_safe(client.get(url), url)


def test_admin_update_with_impossible_date_is_refused(client, world):
    client.force_login(world["office"])
    before = row_counts()
    for date in [value for value in DATES if value != "9999-12-31"]:
        response = client.post(
            reverse("admin:replies_commitmentupdate_add"),
            {"commitment": world["commitment"].pk, "date": date, "status": "in_progress"},
        )
        assert response.status_code == 200
        page = assert_safe(response)
        assert "errornote" in page and "有效的日期" in page, date
    assert row_counts() == before


# ---------------------------------------------------------------------------
# Letter import: the admin's paste/upload/preview/save and the command
# ---------------------------------------------------------------------------

IMPORT_URL = "/admin/replies/reply/import/"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("a.txt", b"\xff\xfe\xfd" * 100 + b"\x81"), "编码无法识别"),
        (SimpleUploadedFile("a.txt", b"abc\x00def" * 100), "不是文本文件"),
        (SimpleUploadedFile("a.html", b"<html>\x00</html>"), "不是文本文件"),
        (SimpleUploadedFile("a.txt", b"x" * (2 * 1024 * 1024 + 1)), "超过 2 MB"),
        (SimpleUploadedFile("a.txt", "长".encode() * (10 * 1024 * 1024 // 3)), "超过 2 MB"),
        (SimpleUploadedFile("a.exe", b"MZ"), "只能上传"),
        (SimpleUploadedFile("a.txt", b""), "空文件"),
    ],
)
def test_admin_import_refuses_unreadable_uploads(client, world, upload, message):
    client.force_login(world["office"])
    before = row_counts()
    response = client.post(IMPORT_URL, {"file": upload, "preview": "1"})
    assert response.status_code == 200
    assert message in assert_safe(response)
    assert row_counts() == before


def test_admin_import_reads_gbk_and_escapes_the_preview(client, world, seed_letter):
    client.force_login(world["office"])
    letter = seed_letter.replace("王坤委员", "王坤委员") + "\n" + "\n".join(XSS)
    upload = SimpleUploadedFile("gbk.txt", letter.encode("gb18030"))
    response = client.post(IMPORT_URL, {"file": upload, "preview": "1"})
    assert response.status_code == 200
    text = assert_safe(response)
    assert not re.search(r'class="errorlist', text)
    assert "关于“加大科技创新投入”" in text


@pytest.mark.parametrize("text", ["a\x00" * 10, XSS[0] * 3, "长" * 400_000, "\x00"])
def test_admin_import_paste_of_odd_text(client, world, text):
    client.force_login(world["office"])
    before = row_counts()
    response = client.post(IMPORT_URL, {"text": text, "preview": "1"})
    assert response.status_code == 200
    assert_safe(response)
    assert row_counts() == before


def test_admin_import_ten_megabyte_paste_is_a_clear_400(client, world):
    client.force_login(world["office"])
    before = row_counts()
    response = client.post(IMPORT_URL, {"text": "长" * (10 * 1024 * 1024 // 3), "preview": "1"})
    assert response.status_code == 400
    assert "提交的内容过大" in response.content.decode()
    # Within the size limit, but over the letter's character cap: the form says so.
    response = client.post(IMPORT_URL, {"text": "长" * 600_000, "preview": "1"})
    assert response.status_code == 200
    assert "500000" in response.content.decode()
    assert row_counts() == before


def _preview_data(client, letter: str) -> dict:
    preview = client.post(IMPORT_URL, {"text": letter, "publish": "on", "preview": "1"})
    assert preview.status_code == 200
    return preview_form_data(preview)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reply_date", "2021-02-30", "有效的日期"),
        ("reply_date", "²", "有效的日期"),
        ("session", XSS[0], "十五届五次会议"),
        ("kind", "nonsense", "选择一个有效的选项"),
        ("classification", "Z", "选择一个有效的选项"),
        ("proposal_number", "a\x00b", "空字符"),
        ("proposal_title", "", "这个字段是必填项"),
        ("proposal_title", "长" * 301, "300"),
        ("letter", "a\x00b", "预览中的原文或来源网址无效"),
        ("source_url", "javascript:alert(5)", "预览中的原文或来源网址无效"),
        ("sections-TOTAL_FORMS", "100000", "最多"),
        ("sections-1-targets", "孵化器|很多|家", "数值必须是大于 0 的数字"),
        ("sections-1-targets", "只有文字", "格式不对"),
        ("sections-1-due_on", "2021-02-30", "有效的日期"),
        ("committee", "424242", "选择一个有效的选项"),
        ("sections-0-topic", "99999999999999999999", "选择一个有效的选项"),
    ],
)
def test_admin_import_save_refuses_tampered_previews(
    client, db, seed_letter, settings, field, value, message
):
    admin = User.objects.create_superuser("root", password="root-pass-1")
    client.force_login(admin)
    data = _preview_data(client, seed_letter)
    data[field] = value
    before = row_counts()
    response = client.post(IMPORT_URL, data)
    assert response.status_code == 200
    text = assert_safe(response)
    assert message in text, field
    assert row_counts() == before
    assert not Reply.objects.exists()


def test_admin_import_save_with_markup_in_every_field(client, db, seed_letter):
    """Staff may type anything into the preview; it is stored as text and escaped."""
    admin = User.objects.create_superuser("root", password="root-pass-1")
    client.force_login(admin)
    data = _preview_data(client, seed_letter)
    data.update(
        {
            "proposal_title": XSS[0],
            "proposers": f"{XSS[1]}、{XSS[2]}",
            "agency": XSS[3],
            "doc_number": XSS[2],
            "sections-0-heading": XSS[1],
            "sections-1-text": XSS[0],
            "sections-1-targets": f"{XSS[3]}|3|家",
            "publish": "on",
        }
    )
    response = client.post(IMPORT_URL, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    proposal = Proposal.objects.get()
    assert proposal.title == XSS[0]
    assert proposal.replies.get().is_published
    pages = [
        reverse("portal:home"),
        reverse("portal:search"),
        reverse("portal:search") + "?q=" + quote("alert"),
        reverse("portal:search") + "?q=" + quote("script"),
        reverse("portal:commitments"),
        proposal.get_absolute_url(),
        reverse("portal:feed"),
        reverse("portal:dashboard"),
        reverse("admin:replies_reply_changelist"),
        reverse("admin:proposals_proposal_changelist") + "?q=alert",
        response["Location"],
    ]
    for url in pages:
        assert_safe(client.get(url), url)
    client.logout()
    for url in pages[:8]:
        assert_safe(client.get(url), url)
    json_data = client.get(reverse("portal:detail-json", kwargs=_detail_kwargs(proposal)))
    assert json_data.status_code == 200, json_data.content[:300]
    assert json.loads(json_data.content)["title"] == XSS[0]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\xff\xfe\xfd" * 100 + b"\x81", "编码无法识别"),
        (b"abc\x00def", "不是文本文件"),
        (b"   \n\n  ", "没有正文"),
        (b"x" * (21 * 1024 * 1024), "文件过大"),
    ],
)
def test_import_command_reports_unreadable_files(db, tmp_path, content, reason):
    path = tmp_path / "letter.txt"
    path.write_bytes(content)
    before = row_counts()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 个文件导入失败"):
        call_command("import_letters", str(path), stdout=out, stderr=err)
    assert reason in err.getvalue(), err.getvalue()
    assert "失败 1" in out.getvalue()
    assert row_counts() == before


def test_import_command_with_a_ten_megabyte_letter(db, tmp_path, seed_letter):
    """A 10 MB file (the letter over and over) is read as the one letter it starts with."""
    path = tmp_path / "big.txt"
    path.write_text(seed_letter * (10 * 1024 * 1024 // len(seed_letter.encode()) + 1))
    assert path.stat().st_size > 10 * 1024 * 1024
    out = io.StringIO()
    call_command("import_letters", str(path), stdout=out)
    assert "导入 1" in out.getvalue()
    assert len(Reply.objects.get().body) < len(seed_letter) * 2


def test_import_command_reads_gbk(db, tmp_path, seed_letter):
    path = tmp_path / "gbk.txt"
    path.write_bytes(seed_letter.encode("gbk", errors="replace"))
    out = io.StringIO()
    call_command("import_letters", str(path), "--unknown-committee", stdout=out)
    assert "导入 1" in out.getvalue()


def _huge_target_letter(seed_letter: str) -> str:
    letter = seed_letter.replace(
        "力争新增国家级科技企业孵化器3家", "力争新增国家级科技企业孵化器99999999999999999家"
    )
    assert letter != seed_letter
    return letter


def test_a_letter_that_fails_halfway_stores_nothing(db, seed_letter):
    """A letter is imported atomically: when the database refuses a row late in the
    import (a last section numbered 0 breaks commitment_number_positive, after the proposal,
    reply and first commitments were written), nothing is left behind and the refusal
    names the broken rule."""
    import dataclasses

    from replies.parsing import parse_letter

    parsed = parse_letter(seed_letter)
    broken = dataclasses.replace(parsed.sections[-1], number=0)
    parsed = dataclasses.replace(parsed, sections=(*parsed.sections[:-1], broken))
    before = row_counts()
    with pytest.raises(importer.LetterRefused, match="commitment_number_positive"):
        importer.import_letter(text=seed_letter, parsed=parsed)
    assert row_counts() == before


def test_import_skips_a_huge_target_quantity_with_a_warning(db, seed_letter):
    """A figure too large for any real target is a misreading: the letter is imported
    without it, and the import says so."""
    result = importer.import_letter(text=_huge_target_letter(seed_letter))
    assert result.outcome == "imported"
    assert any("数值异常" in warning for warning in result.warnings)
    assert not Target.objects.filter(quantity__gt=10**12).exists()
    assert result.reply.commitments.count() == 5


def _import_command_output(tmp_path, letter: str) -> str:
    path = tmp_path / "letter.txt"
    path.write_text(letter, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_letters", str(path), stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_import_command_skips_a_huge_target_quantity(db, tmp_path, seed_letter):
    """The command imports a new letter with such a figure, without the figure."""
    output = _import_command_output(tmp_path, _huge_target_letter(seed_letter))
    assert "导入 1，更新 0，未变 0，失败 0" in output
    reply = Reply.objects.get()
    assert reply.commitments.count() == 5
    assert Target.objects.filter(commitment__reply=reply).exists()
    assert not Target.objects.filter(quantity__gt=10**12).exists()


def test_import_command_says_it_skipped_a_huge_target_quantity(db, tmp_path, seed_letter):
    """... and tells whoever runs it."""
    output = _import_command_output(tmp_path, _huge_target_letter(seed_letter))
    assert "导入 1" in output
    assert "数值异常" in output, output


# ---------------------------------------------------------------------------
# The letter parser: generated input (hypothesis)
# ---------------------------------------------------------------------------

# An explicit HYPOTHESIS_PROFILE decides ("ci": the full run); without one, CI=true does.
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE")
FULL_RUN = (
    _PROFILE == "ci" if _PROFILE else os.environ.get("CI", "").lower() in {"1", "true", "yes"}
)
# Letters are generated ten to an example: hypothesis' cost is mostly per example, so this
# parses 100,000 letters in about a third of the time of 100,000 examples of one letter.
LETTERS_PER_EXAMPLE = 10
PARSER_LETTERS = 100_000 if FULL_RUN else 2_000

# Pieces of real letters and of the parser's own trigger words, plus markup and junk.
FRAGMENTS = [
    "对市政协十五届五次会议第89号提案",
    "《关于强化科技创新引领的建议》",
    "答复的函",
    "王坤委员：",
    "您提出的“关于加大投入”收悉。",
    "经研究，现答复如下：",
    "一、关于“加大科技创新投入”",
    "二、",
    "（一）",
    "1、",
    "2.",
    "第一，",
    "一是",
    "下一步，我们将",
    "力争新增国家级科技企业孵化器3家、省级20家",
    "到2025年底",
    "十四五",
    "临沂市科学技术局",
    "2021年7月9日",
    "二〇二一年七月九日",
    "2021-02-30",
    "临科函〔2021〕15号",
    "类别：A类",
    "索 引 号",
    "无障碍浏览",
    "99999999999999999999家",
    "-5家",
    "<p>",
    "</p>",
    "<table><tr><td>",
    "&nbsp;",
    "<script>alert(1)</script>",
    "\n",
    "\n\n",
    "\u3000",
    " ",
    "\x00",
    "\ufeff",
    "\r\n",
    "𠮷",
    # The parser's trigger words piece by piece, as markers, dates and labels are made of.
    "一、",
    "三、",
    "1.2017年",
    "第",
    "届",
    "次会议",
    "〔",
    "〕",
    "【",
    "[",
    "]",
    "年",
    "月",
    "日",
    "号",
    "0",
    "1",
    "2",
    "9",
    "2021",
    "二〇二一",
    "：",
    ":",
    "，",
    "。",
    "；",
    "“",
    "”",
    "《",
    "》",
    "(",
    ")",
    "委员",
    "代表",
    "xxx",
    "提案",
    "建议",
    "收悉",
    "您提出的",
    "关于",
    "下一步",
    "将",
    "已",
    "力争",
    "3家",
    "万平方米",
    "类别:",
    "A类",
    "注:",
    "第一:",
    "上一条",
    "字号:[",
    "大",
    "答复如下:",
    "感谢",
    "局",
    "政协",
    "人大",
    "<table>",
]
letters = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), min_size=0, max_size=40).map(
    "".join
) | st.text(max_size=400)


def test_parser_survives_generated_letters():
    """parse_letter never raises and never falls back to its error path, and its result
    is JSON-ready, for any generated text: PARSER_LETTERS letters in all."""
    parsed = 0

    @settings(
        max_examples=PARSER_LETTERS // LETTERS_PER_EXAMPLE,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(letters, min_size=LETTERS_PER_EXAMPLE, max_size=LETTERS_PER_EXAMPLE))
    def parse_batch(texts):
        nonlocal parsed
        for text in texts:
            letter = parse_letter(text)
            assert isinstance(letter, ParsedLetter)
            assert not any(w.startswith("解析出错") for w in letter.warnings), letter.warnings
            json.dumps(letter.as_dict(), ensure_ascii=False)
        parsed += len(texts)

    parse_batch()
    assert parsed == PARSER_LETTERS


@settings(max_examples=PARSER_LETTERS // 10, deadline=None, database=None)
@given(st.binary(max_size=300), st.sampled_from(["a.txt", "a.html", "a.htm", "", "a"]))
def test_letter_bytes_never_raise(data, name):
    """Any bytes (invalid UTF-8, GBK, NUL, binary) decode to text or to a clear refusal."""
    text, warnings = read_letter_bytes(data, name)
    assert text is not None or warnings
    if text is not None:
        parse_letter(text)
