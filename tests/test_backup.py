"""`make backup` / `make restore`: a backup restored into a fresh database holds every row
of every table, every sequence position and every uploaded file."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from replies.models import CommitmentItem
from replies.services import progress
from replies.services.letters import importer

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="backups are pg_dump / pg_restore's"
    ),
    pytest.mark.skipif(
        not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("make")),
        reason="needs pg_dump, pg_restore and make (the PostgreSQL client tools)",
    ),
]


def url_for(name: str) -> str:
    """A libpq URL for database ``name`` on the test database's server."""
    params = connection.settings_dict
    user = params.get("USER") or ""
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "localhost"
    port = params.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def admin_connection() -> psycopg.Connection:
    return psycopg.connect(url_for("postgres"), autocommit=True)


def table_fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of all its rows (sorted, as text)."""
    fingerprints = {}
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT quote_ident(table_name) FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        for table in tables:
            count, digest = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                f" FROM {table} AS t"
            ).fetchone()
            fingerprints[table] = (count, digest)
        for (sequence,) in conn.execute(
            "SELECT quote_ident(sequence_name) FROM information_schema.sequences"
            " WHERE sequence_schema = 'public'"
        ).fetchall():
            fingerprints[f"sequence {sequence}"] = conn.execute(
                f"SELECT last_value, is_called FROM {sequence}"
            ).fetchone()
    return fingerprints


def make(target: str, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(variables)
    return subprocess.run(
        ["make", "--no-print-directory", "-s", target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        # The usual permissive umask: the recipe must not depend on the caller's.
        umask=0o022,
    )


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restored"
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def populated(samples_dir, settings, tmp_path, client):
    """Rows in every kind of table: letters through the importer, updates with evidence,
    users, sessions, login failures (django-axes) and history."""
    settings.MEDIA_ROOT = tmp_path / "media"
    for path in sorted((samples_dir / "letters").glob("*.txt")):
        importer.import_letter(text=path.read_text(encoding="utf-8"))
    for item in CommitmentItem.objects.all()[:3]:
        progress.post_update(
            commitment=item,
            status="in_progress",
            note="季度进展",
            attachment=SimpleUploadedFile("进展.pdf", b"%PDF-1.4 evidence"),
        )
    user = get_user_model().objects.create_user("member", password="member-pass-1")
    client.post(reverse("portal:login"), {"username": "member", "password": "wrong"})
    client.force_login(user)
    return settings.MEDIA_ROOT


def test_backup_restores_into_a_fresh_database_with_every_row(populated, fresh_database, tmp_path):
    source = url_for(connection.settings_dict["NAME"])
    before = table_fingerprints(source)
    assert sum(count for key, (count, _digest) in before.items() if " " not in key) > 100
    assert before["replies_commitmentupdate"][0] >= 3
    assert before["axes_accessattempt"][0] == 1

    dump = tmp_path / "backups" / "tiantrack-test.dump"
    dump.parent.mkdir()
    backup = make("backup", DATABASE_URL=source, BACKUP=str(dump), DJANGO_MEDIA_ROOT=str(populated))
    assert backup.returncode == 0, backup.stderr
    assert dump.is_file() and (tmp_path / "backups" / "tiantrack-test-media.tar.gz").is_file()

    restored_media = tmp_path / "restored-media"
    target = url_for(fresh_database)
    restore = make(
        "restore", DATABASE_URL=target, BACKUP=str(dump), DJANGO_MEDIA_ROOT=str(restored_media)
    )
    assert restore.returncode == 0, restore.stderr

    after = table_fingerprints(target)
    assert after.keys() == before.keys()
    different = {table for table in before if before[table] != after[table]}
    assert not different, {table: (before[table], after[table]) for table in different}

    originals = sorted(p.relative_to(populated) for p in populated.rglob("*") if p.is_file())
    assert originals
    for relative in originals:
        assert (restored_media / relative).read_bytes() == (populated / relative).read_bytes()

    # The restored database is complete for Django too: no migration left to apply.
    check = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--check", "--noinput"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": target, "DJANGO_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_backup_files_are_readable_by_their_owner_only(tmp_path):
    """The dump and the archive of uploaded files hold every member's and clerk's personal
    data: `make backup` writes them with mode 0600 (its folder 0700), whatever the caller's
    umask."""
    media = tmp_path / "media"
    (media / "evidence").mkdir(parents=True)
    (media / "evidence" / "证明.pdf").write_bytes(b"%PDF-1.4 evidence")
    backups = tmp_path / "backups"
    result = make(
        "backup",
        DATABASE_URL=url_for(connection.settings_dict["NAME"]),
        BACKUP_DIR=str(backups),
        DJANGO_MEDIA_ROOT=str(media),
    )
    assert result.returncode == 0, result.stderr
    written = sorted(path.name for path in backups.iterdir())
    assert len(written) == 2, written
    assert {name.endswith(".dump") for name in written} == {True, False}, written
    assert any(name.endswith("-media.tar.gz") for name in written), written
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    for path in backups.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_restore_refuses_without_a_backup_file_or_a_postgres_url():
    assert "usage: make restore" in make("restore", DATABASE_URL="postgres://x@y/z").stderr
    refused = make("backup", DATABASE_URL="sqlite:///db.sqlite3")
    assert refused.returncode != 0
    assert "DATABASE_URL=postgres://" in refused.stderr
