"""portal.views.exports: the commitments as CSV and JSON."""

import csv
import io
import json

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


def test_downloads_hold_every_row_across_batches(client, seed, monkeypatch):
    """Rows are read a batch of ordinary queries at a time (no server-side cursor left open
    by a download abandoned half-way): a batch boundary loses and repeats nothing."""
    from portal.views import exports
    from replies.selectors import public_commitments

    expected = sorted(public_commitments().values_list("pk", flat=True))
    assert len(expected) >= 3
    monkeypatch.setattr(exports, "EXPORT_BATCH", 2)
    text = body(client.get(reverse("portal:commitments-csv")))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
    assert sorted(int(row[0]) for row in rows) == expected
    data = body(client.get(reverse("portal:commitments-json")))
    assert sorted(row["id"] for row in json.loads(data)) == expected
