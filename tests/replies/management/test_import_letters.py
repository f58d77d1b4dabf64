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
    call_command("import_letters", str(samples_dir / "letters"), "--unknown-committee")
    out = capsys.readouterr().out
    assert "失败 0" in out
    letters = len(list((samples_dir / "letters").glob("*.txt")))
    assert Reply.objects.count() == letters
    before = table_counts()
    call_command("import_letters", str(samples_dir / "letters"), "--unknown-committee")
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
        call_command("import_letters", str(tmp_path), "--unknown-committee")
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


def test_a_letter_with_no_region_is_refused_unless_the_committee_is_chosen(tmp_path, capsys):
    """A letter signed by "林业局" alone names no region: the command does not invent a
    committee for it unless told which (--committee) or to file it as unnamed."""
    from proposals.models import Committee

    letter = (
        "张三委员：\n您提出的《关于加强古树保护的建议》收悉，现答复如下：\n"
        "下一步，我们将于2030年底前完成古树普查。\n林业局\n2021年7月9日\n"
    )
    path = tmp_path / "letter.txt"
    path.write_text(letter, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_letters", str(path))
    assert "无法从答复单位" in capsys.readouterr().err
    assert not Reply.objects.exists()
    committee = Committee.objects.create(name="甲县政协", slug="甲县政协")
    call_command("import_letters", str(path), "--committee", committee.slug)
    assert Reply.objects.get().proposal.session.committee == committee
