"""core.middleware: the 503 page while the database cannot be reached (and the 400 for NUL
in a query string, in tests/test_hostile.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Requests against a real unreachable database (a closed port), not a mock: a public page,
# a public export, a logged-in member's rating (the session itself is in the database),
# a staff progress form. DEBUG is off, as in production.
REQUESTS = """
import json
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost", raise_request_exception=False)
client.cookies["sessionid"] = "x" * 32
answers = []
for method, path in [
    ("get", "/"),
    ("get", "/commitments/export.json"),
    ("post", "/me/replies/1/rate/"),
    ("post", "/staff/commitments/1/progress/"),
]:
    response = getattr(client, method)(path)
    answers.append({
        "path": path,
        "status": response.status_code,
        "retry_after": response.get("Retry-After"),
        "cache_control": response.get("Cache-Control"),
        "body": response.content.decode(),
    })
print(json.dumps(answers))
"""


def test_pages_and_forms_answer_the_chinese_503_page_while_the_database_is_down():
    """Every request that needs the database gets the 503 page with Retry-After, whether
    it reads or writes — never the 500 page, never a traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings_test",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/nothing?connect_timeout=2",
    )
    result = subprocess.run(
        [sys.executable, "-c", REQUESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(answers) == 4
    for answer in answers:
        assert answer["status"] == 503, answer["path"]
        assert answer["retry_after"] == "30", answer["path"]
        assert "no-store" in answer["cache_control"], answer["path"]
        assert "服务暂时不可用" in answer["body"], answer["path"]
        assert "没有保存成功" in answer["body"], answer["path"]
        assert "服务器暂时出错" not in answer["body"] and "Traceback" not in answer["body"]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/no-such-page/", "/departments/999999/", "/p/x/1-1/1/"])
def test_not_found_is_the_chinese_page_with_debug_on_too(client, settings, debug, path):
    """NotFoundPageMiddleware: an unknown URL and a view's Http404 both answer the site's
    404 page, never Django's technical one, whatever DEBUG says."""
    settings.DEBUG = debug
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html
    assert "URLconf" not in html and "Page not found" not in html
