"""The load_demo command: the sample letters of both folders when they are there; without
them, the app's own demo letters through the same importer, with a banner saying so; and,
either way, a planted repeat labelled 演示数据 (此前相关提案 and the office's flag)."""

import datetime

import pytest
from django.core.management import call_command

from proposals.models import Proposal, RelatedProposal
from replies.demo import DEMO_LABEL, LETTERS, REPEAT, REPEATED, demo_letters, repeat_letters
from replies.models import CommitmentItem, Reply
from replies.parsing import parse_letter

pytestmark = pytest.mark.django_db

PLANTED = len(repeat_letters())


def test_both_sample_folders_are_imported(samples_dir, settings, capsys):
    settings.SAMPLES_DIR = samples_dir
    call_command("load_demo")
    out = capsys.readouterr().out
    letters = list((samples_dir / "letters").glob("*.txt"))
    more = list((samples_dir / "more" / "letters").glob("*.txt"))
    assert str(samples_dir / "letters") in out
    assert str(samples_dir / "more" / "letters") in out
    assert f"导入 {len(letters) + len(more)}，" in out
    assert Reply.objects.count() == len(letters) + len(more) + PLANTED
    assert "未找到示例答复函" not in out


def test_without_samples_demo_letters_are_imported_and_said_so(tmp_path, settings, capsys):
    settings.SAMPLES_DIR = tmp_path / "no-samples-here"
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "未找到示例答复函，已导入系统生成的演示数据" in out
    assert "Sample letters not found: imported generated demo letters" in out
    assert str(tmp_path / "no-samples-here") in out
    assert f"导入 {len(LETTERS)}，" in out
    # Through the real importer: public proposals with commitments, promised dates kept.
    assert Reply.objects.published().count() == len(LETTERS) + PLANTED
    assert Proposal.objects.filter(is_public=True).count() == len(LETTERS) + PLANTED
    sections = sum(len(letter.sections) for letter in (*LETTERS, REPEATED, REPEAT))
    assert CommitmentItem.objects.count() == sections
    assert not CommitmentItem.objects.filter(due_on__isnull=False, promised_on__isnull=True)

    call_command("load_demo")  # make run runs it every time
    assert f"未变 {len(LETTERS)}" in capsys.readouterr().out
    assert Reply.objects.count() == len(LETTERS) + PLANTED


def test_one_sample_folder_is_imported_and_the_other_reported(tmp_path, settings, capsys):
    (tmp_path / "letters").mkdir()
    (tmp_path / "letters" / "001.txt").write_text(demo_letters()[0], encoding="utf-8")
    settings.SAMPLES_DIR = tmp_path
    call_command("load_demo")
    out = capsys.readouterr().out
    assert f"No sample letters in {tmp_path / 'more' / 'letters'}" in out
    assert "导入 1，" in out
    assert "未找到示例答复函" not in out


def test_demo_letters_read_as_written():
    """Every demo letter is read back whole: number, proposers, department, date, class and
    one commitment per section, its promise due this year or next."""
    today = datetime.date(2026, 3, 1)
    for letter, text in zip(LETTERS, demo_letters(today), strict=True):
        parsed = parse_letter(text)
        assert parsed.proposal_number == str(letter.number)
        assert list(parsed.proposers) == list(letter.proposers)
        assert parsed.agency.endswith(letter.department)
        assert parsed.reply_date.year == 2025
        assert parsed.classification == letter.classification
        assert parsed.proposal_title == letter.title
        assert not parsed.warnings
        assert len(parsed.sections) == len(letter.sections)
        for section, read in zip(letter.sections, parsed.sections, strict=True):
            if section.plan:
                assert read.due_on.year == (2027 if section.due_next_year else 2026)


def test_the_planted_repeat_shows_its_earlier_proposal_and_is_flagged(
    tmp_path, settings, client, admin_client, django_capture_on_commit_callbacks
):
    """The repeat's page lists the earlier proposal under 此前相关提案 and says it is demo
    data; the admin's 重复提出 filter finds it (the earlier one was answered A)."""
    settings.SAMPLES_DIR = tmp_path / "no-samples-here"
    with django_capture_on_commit_callbacks(execute=True):  # the links' job
        call_command("load_demo")
    repeat = Proposal.objects.get(title=REPEAT.title)
    earlier = Proposal.objects.get(title=REPEATED.title)
    assert DEMO_LABEL in repeat.title and DEMO_LABEL in earlier.title
    assert RelatedProposal.objects.filter(proposal=repeat, earlier=earlier).exists()
    page = client.get(repeat.get_absolute_url()).content.decode()
    assert "此前相关提案" in page and "演示数据" in page
    assert earlier.get_absolute_url() in page
    listed = admin_client.get("/admin/proposals/proposal/", {"repeat": "resolved"})
    assert repeat in listed.context["cl"].result_list


def test_the_planted_repeat_reads_as_written():
    today = datetime.date(2026, 1, 5)
    earlier, repeat = (parse_letter(text) for text in repeat_letters(today))
    assert earlier.proposal_title == REPEATED.title and earlier.classification == "A"
    assert repeat.proposal_title == REPEAT.title
    assert repeat.reply_date == datetime.date(2025, 12, 15)  # three weeks before, never after
    assert earlier.session != repeat.session
    # The earlier one reports work done (class A), no new promise: the parser says so.
    assert not repeat.warnings
