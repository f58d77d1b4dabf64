from pathlib import Path

import pytest
from django.conf import settings

from tests import factories


@pytest.fixture
def samples_dir() -> Path:
    path = Path(settings.SAMPLES_DIR)
    if not (path / "letters").is_dir():
        pytest.skip(f"sample letters not found at {path}")
    return path


@pytest.fixture
def department(db):
    return factories.DepartmentFactory(name="临沂市科学技术局")


@pytest.fixture
def reply(db, department):
    proposal = factories.ProposalFactory(lead_department=department)
    return factories.ReplyFactory(proposal=proposal)


@pytest.fixture
def commitment(reply):
    return factories.CommitmentFactory(reply=reply)


@pytest.fixture
def seed_letter(samples_dir) -> str:
    return (samples_dir / "letters" / "001.txt").read_text(encoding="utf-8")


@pytest.fixture
def seed(db, seed_letter):
    """The seed letter imported through the real parser and importer."""
    from replies.services.letters.importer import import_letter

    return import_letter(text=seed_letter)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached pages and roll-ups of an earlier
    test's rows (rolled back since) must not answer for this one."""
    from django.core.cache import cache

    cache.clear()
    yield
