"""The import_letters command: a summary line, idempotence, dry runs, failures reported per
file while the good letters are kept, chunks of letters per transaction."""

import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from proposals.models import Proposal
from replies.models import Reply
from tests.helpers import EMPTY_LETTER, UNNAMED_LETTER, synthetic_letters, table_counts

pytestmark = pytest.mark.django_db


def test_import_command_summary_and_idempotence(samples_dir, capsys):
    call_command("import_letters", str(samples_dir / "letters"))
    out = capsys.readouterr().out
    assert "失败 0" in out
    letters = len(list((samples_dir / "letters").glob("*.txt")))
    assert Reply.objects.count() == letters
    before = table_counts()
    call_command("import_letters", str(samples_dir / "letters"))
    assert f"未变 {letters}" in capsys.readouterr().out
    assert table_counts() == before


def test_dry_run_stores_nothing(samples_dir, capsys):
    call_command("import_letters", str(samples_dir / "letters" / "001.txt"), "--dry-run")
    assert "导入 1" in capsys.readouterr().out
    assert Proposal.objects.count() == 0


def test_bad_file_fails_with_a_reason_and_changes_nothing(tmp_path, samples_dir, capsys):
    good = tmp_path / "good.txt"
    shutil.copy(samples_dir / "letters" / "001.txt", good)
    binary = tmp_path / "broken.txt"
    binary.write_bytes(b"\x00\x01\x02binary\xff\xfe")
    with pytest.raises(CommandError, match="2 个文件导入失败"):
        call_command("import_letters", str(binary), str(tmp_path / "missing.txt"), str(good))
    captured = capsys.readouterr()
    assert "broken.txt" in captured.err and "missing.txt" in captured.err
    assert Proposal.objects.count() == 1  # the good letter still landed, in its own transaction


def test_import_command_reports_a_bad_letter_and_keeps_the_rest(tmp_path, seed_letter, capsys):
    for name, text in (
        ("1.txt", seed_letter),
        ("2.txt", EMPTY_LETTER),
        ("3.txt", UNNAMED_LETTER),
    ):
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="1 个文件导入失败"):
        call_command("import_letters", str(tmp_path))
    captured = capsys.readouterr()
    assert "导入 2，更新 0，未变 0，失败 1" in captured.out
    assert captured.err.strip() == f"失败 {tmp_path / '2.txt'}：正文：此字段不能为空。"
    assert Reply.objects.count() == 2


def test_import_command_works_in_chunks(tmp_path, monkeypatch, capsys):
    """Each chunk is a transaction of its own: a co-handler's opinion in the next chunk
    finds the proposal that its answer created."""
    from replies.management.commands import import_letters

    monkeypatch.setattr(import_letters, "CHUNK", 3)
    letters = synthetic_letters(4)
    for index, text in enumerate(letters):
        (tmp_path / f"{index:02}.txt").write_text(text, encoding="utf-8")
    call_command("import_letters", str(tmp_path))
    assert "导入 8，更新 0，未变 0，失败 0" in capsys.readouterr().out
    assert Proposal.objects.count() == 4
    assert Reply.objects.count() == 8
