"""CSV cells safe to open in Excel or WPS: a cell that starts with ``= + - @``, a tab or a
carriage return would be read as a formula (``=HYPERLINK(...)``, ``=cmd|...``); it gets a
leading apostrophe, as OWASP recommends, and the csv module quotes it."""

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


class _SafeWriter:
    def __init__(self, target) -> None:
        self._writer = csv.writer(target)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(safe_row(row))


def writer(target) -> _SafeWriter:
    """``csv.writer(target)`` whose every row is made safe (``safe_row``)."""
    return _SafeWriter(target)
