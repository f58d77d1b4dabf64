"""Finer statistics on the search vectors (PostgreSQL only).

With the default target PostgreSQL keeps the 1,000 commonest tokens of a column whose
documents hold a thousand distinct two-character tokens each, and guesses the rest: a
phrase such as 口袋公园 (in one proposal in ten) was estimated at one row, so a search
filtered by committee read ten thousand vectors before looking at the committee. With
100,000 tokens kept the guesses are close (docs/performance.md). ANALYZE reads more rows
for it: about ten seconds at 100,000 proposals.
"""

from django.db import migrations

TARGET = 10000


def set_target(target):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(
            "ALTER TABLE proposals_proposal ALTER COLUMN search_vector "
            f"SET STATISTICS {int(target)}"
        )

    return run


class Migration(migrations.Migration):
    dependencies = [("proposals", "0005_oversight")]

    operations = [migrations.RunPython(set_target(TARGET), set_target(-1))]
