"""docker-compose.yml, read with PyYAML (no Docker engine or compose plugin here): one app
image for web, worker, beat and the one-shot migration; Redis with a password; PostgreSQL;
the optional nginx proxy; health checks and restart policies; nothing installed at start."""

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
APP = ("migrate", "web", "worker", "beat")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def services() -> dict:
    return compose()["services"]


def test_the_services():
    assert set(services()) == {*APP, "redis", "db", "proxy"}
    assert services()["db"]["image"].endswith("postgres:15}")
    assert services()["proxy"]["profiles"] == ["proxy"]


def test_one_image_built_once_for_every_app_service():
    built = [name for name, service in services().items() if "build" in service]
    assert built == ["migrate"]
    assert services()["migrate"]["build"]["context"] == "."
    assert set(services()["migrate"]["build"]["args"]) == {"VERSION", "COMMIT"}
    images = {services()[name]["image"] for name in APP}
    assert images == {"tiantrack:${VERSION:-latest}"}


def test_the_app_runs_as_the_images_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    image_user = re.findall(r"^USER (\S+)", dockerfile, re.M)[-1]
    for name in APP:
        user = services()[name].get("user", image_user)
        assert user.split(":")[0] not in {"root", "0"}, name
        assert user == image_user, name
    # The third-party images drop root themselves when started with their own command.
    assert services()["redis"]["command"][0] == "redis-server"


def test_health_checks_and_restart_policies_everywhere():
    for name, service in services().items():
        assert service.get("restart") in {"unless-stopped", "always", "no"}, name
        if name == "migrate":
            # A one-shot job: its exit status is its health, and it is not restarted.
            assert service["restart"] == "no"
            assert service["healthcheck"] == {"disable": True}
            continue
        assert service["restart"] == "unless-stopped", name
        check = service["healthcheck"]
        assert check["test"] and check["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert check["interval"] and check["timeout"] and check["retries"], name
    for name in ("web", "worker", "beat"):
        assert services()[name]["healthcheck"]["test"] == [
            "CMD",
            "python",
            "deploy/healthcheck.py",
            name,
        ]
    healthcheck = (ROOT / "deploy/healthcheck.py").read_text(encoding="utf-8")
    assert 'CHECKS = {"web": web, "worker": worker, "beat": beat}' in healthcheck


def test_migrations_run_once_before_the_app_starts():
    assert services()["migrate"]["command"] == ["migrate"]
    for name in ("web", "worker", "beat"):
        assert "migrate" not in " ".join(services()[name]["command"]), name
        wait = services()[name]["depends_on"]["migrate"]
        assert wait == {"condition": "service_completed_successfully"}, name
    assert services()["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_nothing_is_installed_at_start():
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    commands = " ".join(
        str(part)
        for service in services().values()
        for key in ("command", "entrypoint")
        for part in (service.get(key) or [])
    )
    for word in ("pip", "apt-get", "install", "collectstatic", "python:3"):
        assert word not in commands
    assert "pip install" not in text
    # No service mounts the checkout over the image's code.
    for name, service in services().items():
        for volume in service.get("volumes", []):
            assert not volume.startswith(".:"), name
    start = (ROOT / "deploy/start.sh").read_text(encoding="utf-8")
    assert "pip install" not in start and "PIP_NO_INDEX=1" in start


def test_the_start_script_knows_every_command_compose_uses():
    for name in APP:
        command = services()[name]["command"][0]
        assert re.search(rf"^\s+{command}\)$", (ROOT / "deploy/start.sh").read_text(), re.M)
    unknown = subprocess.run(["sh", "deploy/start.sh", "nonsense"], cwd=ROOT, capture_output=True)
    assert unknown.returncode == 64 and b"usage" in unknown.stderr


def test_web_timeout_fits_the_slowest_admin_action_and_the_proxy_waits_longer():
    command = services()["web"]["command"]
    assert command[:2] == ["web", "--timeout"]
    timeout = int(command[2])
    # Five scanned pages of OCR at about 10 s a page, with room for contention.
    assert timeout >= 120
    nginx = (ROOT / "deploy/nginx/tiantrack.conf").read_text(encoding="utf-8")
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", nginx).group(1))
    assert read_timeout > timeout
    assert re.search(r"^timeout = .*\"120\"", (ROOT / "deploy/gunicorn.conf.py").read_text(), re.M)


def test_redis_has_a_password_and_the_app_uses_it():
    redis = services()["redis"]
    command = redis["command"]
    assert command[command.index("--requirepass") + 1] == "${REDIS_PASSWORD:?set REDIS_PASSWORD}"
    for name in APP:
        url = services()[name]["environment"]["REDIS_URL"]
        assert url == "redis://:${REDIS_PASSWORD:?set REDIS_PASSWORD}@redis:6379/0", name
    assert "REDISCLI_AUTH" in redis["environment"]


def test_the_proxy_passes_media_to_the_app_and_refuses_metrics():
    nginx = (ROOT / "deploy/nginx/tiantrack.conf").read_text(encoding="utf-8")
    code = "\n".join(line.split("#")[0] for line in nginx.splitlines())
    assert "alias" not in code and not re.search(r"^\s*root\s", code, re.M)
    assert "location /media" not in code
    assert re.search(r"location = /metrics \{\s*return 404;", code)
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in code
    assert "proxy_set_header X-Request-ID $request_id;" in code
    assert "client_max_body_size 22m;" in code
    # Operator-supplied certificates, mounted read-only.
    volumes = services()["proxy"]["volumes"]
    assert any(v.endswith(":/etc/nginx/certs:ro") for v in volumes)
    assert "ssl_certificate /etc/nginx/certs/fullchain.pem;" in code
    # nginx's own log has neither the client's address nor the query string.
    log_format = re.search(r"log_format tiantrack[^;]*;", code, re.S).group(0)
    assert "$remote_addr" not in log_format and "$request_uri" not in log_format
    assert "$args" not in log_format


def test_logs_are_bounded_on_the_host():
    for name, service in services().items():
        options = service["logging"]["options"]
        assert options["max-size"] and int(options["max-file"]) <= 10, name
