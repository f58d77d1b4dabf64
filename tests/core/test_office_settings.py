"""公开设置: the proposal office decides in the admin whether 兑现率 per department is
public; the change shows at once, and nobody else may make it."""

import pytest
from django.urls import reverse

from core.models import OfficeSettings, PublicDataVersion
from core.versioning import public_version
from tests.test_write_path import make_user

pytestmark = pytest.mark.django_db

URL = "admin:core_officesettings_change"


def test_the_office_turns_department_figures_off_and_every_page_is_fresh(client):
    from core.roles import OFFICE

    before = public_version()
    assert before.department_figures_public is True  # on by default
    client.force_login(make_user("office", OFFICE))
    page = client.get(reverse(URL, args=[1]))
    assert page.status_code == 200 and "公开各承办单位的兑现率" in page.content.decode()
    response = client.post(reverse(URL, args=[1]), {})  # the box unticked
    assert response.status_code == 302
    after = public_version()
    assert after.department_figures_public is False
    assert after.value > before.value and after.broad > before.broad
    assert OfficeSettings.objects.get().department_figures_public is False


def test_only_the_office_changes_the_settings(client):
    from core.roles import CLERK

    client.force_login(make_user("clerk", CLERK))
    assert client.get(reverse(URL, args=[1])).status_code in (302, 403)
    client.post(reverse(URL, args=[1]), {})
    assert PublicDataVersion.objects.get().department_figures_public is True
