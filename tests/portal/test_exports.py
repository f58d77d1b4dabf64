"""portal.views.exports: the commitments as CSV and JSON."""

import csv
import io

import pytest
from django.urls import reverse

from tests.helpers import body

pytestmark = pytest.mark.django_db


def test_commitments_csv_is_the_filtered_set(client, seed):
    text = body(client.get(reverse("portal:commitments-csv"), {"status": "not_started"}))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, rows = rows[0], rows[1:]
    assert "承诺" not in header[0]
    assert rows and all(row[header.index("状态")] == "未开始" for row in rows)
    assert all(row[header.index("网址")].startswith("http") for row in rows)
