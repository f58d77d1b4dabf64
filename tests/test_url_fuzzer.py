"""Every URL pattern of the site — public, member, clerk, admin — with hostile path and query
values, for an anonymous visitor and for staff: never a server error; a refusal is a 4xx
page in Chinese, or a redirect (to the login page, or to where Django sends a bad admin
filter).

The patterns are listed from the URL resolver, so a new URL is fuzzed without being named
here. Bounded: one pass over a fixed list of values, a couple of minutes a database."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from core import roles
from replies.models import CommitmentItem, Reply
from tests import factories

pytestmark = pytest.mark.django_db

# Path values: NUL, slashes raw and encoded, full-width and superscript digits, a 10 kB
# string, negative and huge numbers, an invalid date, SQL and template syntax.
PATH_VALUES = [
    "a%00b",
    "a%2Fb",
    "a/b",
    "１２",
    "²",
    "x" * 10_000,
    "-1",
    "99999999999999999999999",
    "2021-02-30",
    "1%27%20OR%20%271%27%3D%271",
    "%7B%7B7*7%7D%7D",
    "%7B%25%20debug%20%25%7D",
    "..",
    "%FF%FE",
]
QUERY_VALUES = [
    "²",
    "-1",
    "99999999999999999999999",
    "2021-02-30",
    "x" * 10_000,
    "%27%20OR%201%3D1--%7B%7B7*7%7D%7D%FF",
]
# Parameters the site's filters, pagination and the admin read.
QUERY_NAMES = [
    "q",
    "page",
    "p",
    "o",
    "e",
    "sort",
    "committee",
    "session",
    "department",
    "status",
    "year",
    "topic",
    "kind",
    "classification",
    "format",
    "due_on__year",
    "due_on__month",
    "letter_date__year",
    "letter_date__day",
    "assigned_on__year",
    "_to_field",
    "_popup",
    "app_label",
    "model_name",
    "field_name",
    "term",
]
CJK = re.compile(r"[\u4e00-\u9fff]")


def patterns(resolver=None, prefix: str = "") -> list[str]:
    """Every URL pattern as a route string, with its parameters in angle brackets."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            found.append(route)
    return found


def fill(route: str, value: str) -> str:
    """The route with every parameter (converter or regex group) set to ``value``."""
    route = route.replace("^", "").replace("$", "")
    route = re.sub(r"<[^>]+>", value, route)
    route = re.sub(r"\(\?P<[^>]+>[^)]*\)", value, route)
    route = re.sub(r"\([^)]*\)", value, route)
    route = route.replace("\\", "")
    return "/" + route


def hostile_urls() -> list[str]:
    urls = []
    for route in patterns():
        if "<" in route or "(" in route:
            urls += [fill(route, value) for value in PATH_VALUES]
        else:
            urls.append("/" + route.replace("^", "").replace("$", ""))
    return urls


@pytest.fixture
def users(db, seed):
    office = get_user_model().objects.create_user("office", password="x", is_staff=True)
    office.groups.add(Group.objects.get(name=roles.OFFICE))
    department = Reply.objects.first().department
    clerk = get_user_model().objects.create_user("clerk", password="x", is_staff=True)
    clerk.groups.add(Group.objects.get(name=roles.CLERK))
    from proposals.models import Clerk

    Clerk.objects.create(user=clerk, department=department)
    factories.ReplyFactory(published_at=None)
    return {"anonymous": None, "office": office, "clerk": clerk}


def problem(response, url: str) -> str | None:
    """What is wrong with the answer to a hostile URL, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status} {url[:160]}"
    if 400 <= status < 500 and status != 405:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        body = content.decode("utf-8", errors="replace")
        if "text/html" in response.get("Content-Type", "") and not CJK.search(body):
            return f"{status} without a Chinese message: {url[:160]}"
    return None


def run(client: Client, urls: list[str]) -> None:
    problems = []
    for url in urls:
        response = client.get(url)
        if found := problem(response, url):
            problems.append(found)
        if response.streaming:
            close_unread(response)
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


def close_unread(response) -> None:
    """Close a download left unread, as a WSGI server does. The test client already closed
    every other response; closing fires request_finished, and Django's own receiver would
    close the database connection inside the test's transaction, so it is held off here
    exactly as the test client holds it off."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["anonymous", "office", "clerk"])
def test_every_url_with_hostile_path_values(users, who):
    run(client_for(users[who]), hostile_urls())


@pytest.mark.parametrize("who", ["anonymous", "office"])
def test_every_url_with_hostile_query_values(users, who, seed):
    """The routes without parameters, and those with real ids, under every query parameter
    the site reads, one hostile value at a time."""
    item = CommitmentItem.objects.first()
    real = {"pk": str(item.pk), "object_id": str(seed.reply.pk)}
    urls = []
    for route in patterns():
        # The admin reads query parameters on its lists and add forms only.
        if "(" in route or (route.startswith("admin/") and "<" in route):
            continue
        url = "/" + route
        for name, value in real.items():
            url = re.sub(rf"<(?:\w+:)?{name}>", value, url)
        url = re.sub(r"<(?:str:)?table>", "sessions", url)
        url = re.sub(r"<[^>]+>", "1", url)
        urls.append(url)
    # Every parameter on every URL, the hostile values taking turns (each pair of parameter
    # and value still comes up, on several URLs): bounded to a few minutes a database.
    run(
        client_for(users[who]),
        [
            f"{url}?{name}={QUERY_VALUES[(row + column) % len(QUERY_VALUES)]}"
            for row, url in enumerate(urls)
            for column, name in enumerate(QUERY_NAMES)
        ],
    )
