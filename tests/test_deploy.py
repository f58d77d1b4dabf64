"""docker-compose.yml cannot run here (no Docker engine); check its shape instead."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_has_web_and_db_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "db"} <= set(services)
    assert "gunicorn config.wsgi:application" in services["web"]["command"]
    assert services["web"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "db"):
        assert "healthcheck" in services[name]


def test_compose_passes_the_settings_variables():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = compose["services"]["web"]["environment"]
    for variable in ("DATABASE_URL", "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS"):
        assert variable in env
    assert env["DJANGO_DEBUG"] == "0"
    assert env["DATABASE_URL"].startswith("postgres://")
