"""Search and listing performance, from the measurements in docs/performance.md.

PostgreSQL only (SQLite searches by substring and has none of these knobs):

- The search vector is stored out of line and uncompressed: a proposal's vector is about
  18 kB of distinct two-character tokens that pglz barely shrinks, and every search that
  ranks or checks a phrase reads it back, so compressing it only cost time both ways.
- B-tree indexes on the write timestamps that ``selectors.public_data_version`` reads
  (the public-page cache key): four index lookups instead of four table scans.
- Newest first is ``replied_on DESC NULLS LAST``, which the model's index (DESC, so
  NULLS FIRST) cannot serve: without this one every list sorted all 100,000 proposals,
  and a search for a common word read every match's vector first.
- Covering indexes for what a search page asks per match: whether it has a published
  reply (and from whom, of which class) and its commitments' statuses and due dates, so
  these come from the index alone instead of from wide reply and commitment rows.
"""

from django.db import migrations

VERSION_INDEXES = [
    ("proposal_updated_at_idx", "proposals_proposal", "updated_at"),
    ("reply_updated_at_idx", "replies_reply", "updated_at"),
    ("commitment_updated_at_idx", "replies_commitmentitem", "updated_at"),
    ("update_created_at_idx", "replies_commitmentupdate", "created_at"),
]
INDEXES = [
    *((name, table, f"({column})") for name, table, column in VERSION_INDEXES),
    ("proposal_newest_idx", "proposals_proposal", "(replied_on DESC NULLS LAST, id DESC)"),
    (
        "reply_proposal_public_idx",
        "replies_reply",
        "(proposal_id) INCLUDE (published_at, department_id, classification)",
    ),
    (
        "commitment_reply_status_idx",
        "replies_commitmentitem",
        "(reply_id) INCLUDE (status, due_on)",
    ),
]
FORWARD = [
    "ALTER TABLE proposals_proposal ALTER COLUMN search_vector SET STORAGE EXTERNAL",
    *(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}" for name, table, columns in INDEXES),
]
BACKWARD = [
    "ALTER TABLE proposals_proposal ALTER COLUMN search_vector SET STORAGE EXTENDED",
    *(f"DROP INDEX IF EXISTS {name}" for name, _table, _columns in INDEXES),
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("proposals", "0003_default_topics"),
        # The indexes cover replies' tables too.
        ("replies", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
