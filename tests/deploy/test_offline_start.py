"""The image's install and start, without Docker: the deploy/ scripts the Dockerfile's RUN
lines call, run here the same way, in a fresh virtual environment made from the lock; then
the app is migrated and started with deploy/start.sh with no network at all (a network
namespace of its own, `unshare -n`, not even a loopback interface), and must answer.

gunicorn listens on a Unix socket in the temporary folder: a socket file crosses network
namespaces, so the test can talk to a server that has no network.
"""

import fnmatch
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(name: str, patterns: list[str]) -> bool:
    """.dockerignore's rule: a pattern matches a path from the top (a folder's match leaves
    out all inside it); ``**/`` matches at any depth."""
    parts = Path(name).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatch(part, pattern[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
            return True
    return False


def build_context(destination: Path) -> None:
    """The checkout as `COPY . .` puts it into the image: the files git knows (committed or
    not yet), less what .dockerignore leaves out."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    patterns = dockerignore()
    for name in filter(None, listed.split("\0")):
        if ignored(name, patterns):
            continue
        source = ROOT / name
        if not source.is_file():
            continue  # deleted in the work tree, not yet committed
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=10)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.socket_path)


def get(sock: Path, path: str, **headers: str) -> tuple[int, dict, bytes]:
    connection = UnixConnection(str(sock))
    try:
        connection.request("GET", path, headers={"Host": "localhost", **headers})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_the_image_recipe_installs_from_the_lock_and_starts_offline(tmp_path):
    app, wheels, venv = tmp_path / "app", tmp_path / "wheels", tmp_path / "venv"
    build_context(app)
    assert not (app / "tests").exists() and not (app / ".venv").exists()
    assert (app / "manage.py").is_file() and (app / "deploy" / "start.sh").is_file()

    # Builder stage (network allowed, as in the image build; pip's cache makes it quick).
    run(
        ["sh", "deploy/build_wheels.sh", "requirements/app.txt", str(wheels)],
        cwd=app,
        env={**os.environ, "PYTHON": sys.executable},
    )
    locked = re.findall(r"^[A-Za-z0-9][\w.-]*==", (app / "requirements/app.txt").read_text(), re.M)
    assert len(list(wheels.glob("*.whl"))) == len(locked)

    # Runtime stage: the environment from the wheels alone, then the static files.
    base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    installed = run(
        ["sh", "deploy/install_runtime.sh", str(wheels), str(venv)],
        cwd=app,
        env={**base, "BASE_PYTHON": sys._base_executable},
    )
    assert "exactly the packages" in installed.stdout
    python = str(venv / "bin" / "python")
    run(["sh", "deploy/collect_static.sh"], cwd=app, env={**base, "PYTHON": python})
    assert (app / "staticfiles" / "staticfiles.json").is_file()

    # Start: migrations, then gunicorn, with no network.
    sock = tmp_path / "web.sock"
    env = {
        **base,
        "PATH": f"{venv / 'bin'}:{base['PATH']}",
        "PYTHON": python,
        "DJANGO_SECRET_KEY": "offline-start-test-" + "k" * 40,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "GUNICORN_BIND": f"unix:{sock}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    if _unshare_works():
        isolate = ["unshare", "-n"]
    else:
        # Without network namespaces: anything that tried the network would hit a closed
        # proxy port or find no index.
        isolate = []
        env |= {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
        env |= {"HTTP_PROXY": env["http_proxy"], "HTTPS_PROXY": env["https_proxy"]}
    if isolate:
        # Proof that the namespace has no way out.
        probe = subprocess.run(
            [*isolate, python, "-c", "import socket; socket.create_connection(('1.1.1.1', 53), 2)"],
            capture_output=True,
            text=True,
        )
        assert probe.returncode != 0 and "unreachable" in probe.stderr.lower()
    run([*isolate, "sh", "deploy/start.sh", "migrate"], cwd=app, env=env)

    log = (tmp_path / "web.log").open("w+")
    server = subprocess.Popen(
        [*isolate, "sh", "deploy/start.sh", "web"],
        cwd=app,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "web.log").read_text()
            if sock.exists():
                try:
                    status, headers, body = get(sock, "/healthz")
                    break
                except OSError:
                    pass
            assert time.monotonic() < deadline, (tmp_path / "web.log").read_text()
            time.sleep(0.3)
        assert (status, body) == (200, b"ok")
        assert headers["X-Request-ID"]

        # A real page, with the manifest's hashed static files collected at "build" time.
        status, headers, body = get(sock, "/", **{"X-Forwarded-Proto": "https"})
        assert status == 200, body[:500]
        stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', body)
        assert stylesheet, body[:500]
        assert re.search(rb"\.[0-9a-f]{12}\.css$", stylesheet.group(1))
        status, _headers, css = get(
            sock, stylesheet.group(1).decode(), **{"X-Forwarded-Proto": "https"}
        )
        assert status == 200 and css

        # /metrics in multiprocess mode: the workers' figures, summed from the folder
        # deploy/gunicorn.conf.py prepared (read here as the /metrics view reads it).
        summed = run(
            [
                python,
                "-c",
                "import sys; from prometheus_client import CollectorRegistry, generate_latest,"
                " multiprocess; r = CollectorRegistry();"
                " multiprocess.MultiProcessCollector(r, sys.argv[1]);"
                " print(generate_latest(r).decode())",
                env["PROMETHEUS_MULTIPROC_DIR"],
            ],
            env=base,
        ).stdout
        counted = re.search(
            r'django_http_requests_total_by_method_total\{method="GET"\} (\S+)', summed
        )
        # /healthz and / (whitenoise answers the stylesheet before the counting middleware).
        assert counted and float(counted.group(1)) >= 2, summed[:2000]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()

    # The request log: one JSON line per request, from the installed app.
    lines = [
        json.loads(line)
        for line in (tmp_path / "web.log").read_text().splitlines()
        if line.startswith("{")
    ]
    requests = [line for line in lines if line.get("event") == "request"]
    assert [line["path"] for line in requests][:2] == ["/healthz", "/"]
    assert all(line["status"] == 200 for line in requests)


@pytest.mark.skipif(not _unshare_works(), reason="no network namespaces here")
def test_the_namespace_really_has_no_network():
    """What the offline start relies on: inside `unshare -n` even a name cannot be looked up."""
    result = subprocess.run(
        [
            "unshare",
            "-n",
            sys.executable,
            "-c",
            "import socket; socket.getaddrinfo('pypi.org', 443)",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
