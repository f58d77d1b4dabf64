"""deploy/healthcheck.py: the containers' health checks say healthy only when it is so."""

import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server():
    """A stand-in for gunicorn: /healthz answers what ``answer["status"]`` says and
    records the Host header it was sent."""
    answer = {"status": 200, "hosts": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            answer["hosts"].append(self.headers["Host"])
            self.send_response(answer["status"] if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], answer
    httpd.shutdown()


def check(name: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "deploy/healthcheck.py", name],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_web_is_healthy_while_healthz_answers_200(server):
    port, answer = server
    env = {"HEALTHCHECK_PORT": str(port), "DJANGO_ALLOWED_HOSTS": ".example.gov.cn,x"}
    assert check("web", **env).returncode == 0
    # The first allowed host, without the leading dot: Django refuses other Host headers.
    assert answer["hosts"] == ["example.gov.cn"]
    answer["status"] = 503
    result = check("web", **env)
    assert result.returncode == 1
    assert result.stderr.startswith("unhealthy (web):")


def test_web_is_unhealthy_when_nothing_listens():
    result = check("web", HEALTHCHECK_PORT="9")
    assert result.returncode == 1 and "unhealthy (web)" in result.stderr


def test_beat_is_unhealthy_without_its_broker():
    result = check("beat", REDIS_URL="redis://:pw@127.0.0.1:9/0")
    assert result.returncode == 1 and "unhealthy (beat)" in result.stderr
