"""Writing many rows at once, for the services that change a batch (imports, progress
reports, data loads)."""

from collections.abc import Sequence

from django.db import connection, models


def update_rows(rows: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write ``fields`` of these rows (one model, all saved before) as they are in memory.

    On PostgreSQL one statement for all of them, from arrays; ``bulk_update`` builds a
    CASE over every row, which at a few thousand rows costs more in Python than the writes
    themselves. Elsewhere ``bulk_update``. Like it, this sends no signals: a service that
    keeps history writes it itself (``bulk_history_create``).
    """
    if not rows:
        return
    model = type(rows[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, list(fields), batch_size=500)
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    arrays = [
        [column.get_db_prep_value(getattr(row, column.attname), connection) for row in rows]
        for column in columns
    ]
    quote = connection.ops.quote_name
    names = [quote(column.column) for column in columns]
    arguments = ", ".join(f"%s::{column.db_type(connection)}[]" for column in columns)
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} AS t SET {assignments}"
            f" FROM unnest({arguments}) AS v({', '.join(names)})"
            f" WHERE t.{names[0]} = v.{names[0]}",
            arrays,
        )
