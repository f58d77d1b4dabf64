"""Importing letters: idempotent, atomic, in place; the commands and the admin import."""

import json
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from proposals.models import Committee, Department, Proposal, Proposer, Session
from replies import services
from replies.models import CommitmentItem, CommitmentStatus, CommitmentUpdate, Reply, Target

pytestmark = pytest.mark.django_db


def table_counts() -> dict[str, int]:
    models = [
        Committee,
        Session,
        Department,
        Proposer,
        Proposal,
        Reply,
        CommitmentItem,
        Target,
        CommitmentUpdate,
    ]
    return {model.__name__: model.objects.count() for model in models}


def test_seed_becomes_proposal_reply_and_five_commitments(seed):
    proposal = seed.proposal
    assert seed.outcome == "imported"
    assert proposal.number == "89"
    assert proposal.session.label == "十五届五次会议"
    assert proposal.session.committee.name == "临沂市政协"
    assert [p.name for p in proposal.proposers.all()] == ["王坤"]
    reply = seed.reply
    assert reply.is_published
    assert reply.index_number == "1342804570/kxjsj/2021-0000168"
    items = list(reply.commitments.order_by("number"))
    assert [item.number for item in items] == [1, 2, 3, 4, 5]
    assert items[3].heading == "关于“实施创新创业载体质量提升行动”"
    assert {(t.quantity, t.unit) for t in items[3].targets.all()} >= {
        (3, "家"),
        (20, "家"),
        (260, "万平方米"),
    }
    assert items[3].due_on is not None
    assert [item.topic.key for item in items] == [
        "funding",
        "talent",
        "enterprise",
        "incubator",
        "finance",
    ]


def test_same_letter_twice_changes_nothing(seed, seed_letter):
    before = table_counts()
    again = services.import_letter(text=seed_letter)
    assert again.outcome == "unchanged"
    assert table_counts() == before


def test_corrected_letter_updates_in_place_and_keeps_update_history(seed, seed_letter):
    item = seed.reply.commitments.get(number=2)
    services.post_update(commitment=item, status=CommitmentStatus.FULFILLED, note="已完成引才活动")
    corrected = seed_letter.replace(
        "加大各类高层次人才的引进力度", "加大各类高层次人才的引进和培养力度"
    )
    result = services.import_letter(text=corrected)
    assert result.outcome == "updated"
    assert result.reply.pk == seed.reply.pk
    assert Proposal.objects.count() == 1 and Reply.objects.count() == 1
    item.refresh_from_db()
    assert "引进和培养力度" in item.text
    assert item.updates.count() == 1
    assert item.status == CommitmentStatus.FULFILLED


def test_new_letter_stores_what_the_update_path_would(seed):
    """A new reply's commitments are written in bulk; refreshing them changes nothing,
    and each has its history row as a one-by-one save would give it."""
    for item in seed.reply.commitments.all():
        status, progress = item.status, item.progress
        services.refresh_commitment(commitment=item)
        item.refresh_from_db()
        assert (item.status, item.progress) == (status, progress)
        assert item.history.count() == 1
    assert Target.objects.filter(commitment__reply=seed.reply).count() >= 3


def test_import_queries_do_not_grow_with_sections(seed, seed_letter):
    """A new letter costs the same few queries whether it has five sections or two."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    five = seed_letter.replace("第89号", "第90号")
    head, rest = seed_letter.split("三、关于", 1)
    two = head.replace("第89号", "第91号") + "感谢您" + rest.split("感谢您", 1)[1]
    counts = []
    for text, sections in ((five, 5), (two, 2)):
        with CaptureQueriesContext(connection) as queries:
            result = services.import_letter(text=text)
        assert result.outcome == "imported"
        assert result.reply.commitments.count() == sections
        counts.append(len(queries))
    # The same queries (the two-section letter has no targets: one insert fewer).
    assert counts[1] <= counts[0] <= counts[1] + 1
    assert counts[0] <= 24


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


def test_bad_file_alone_leaves_database_unchanged(tmp_path):
    before = table_counts()
    binary = tmp_path / "broken.html"
    binary.write_bytes(b"\x00\x00\x00")
    with pytest.raises(CommandError):
        call_command("import_letters", str(binary))
    assert table_counts() == before


def test_parse_letter_command_prints_json_for_every_path(samples_dir, tmp_path, capsys):
    call_command(
        "parse_letter",
        "--json",
        str(samples_dir / "letters" / "001.txt"),
        str(tmp_path / "none.txt"),
    )
    data = json.loads(capsys.readouterr().out)
    assert [item["path"].rsplit("/", 1)[-1] for item in data] == ["001.txt", "none.txt"]
    assert data[0]["proposal_number"] == "89"
    assert len(data[0]["sections"]) == 5
    assert data[1]["warnings"] and data[1]["sections"] == []
    assert list(data[0]) == [
        "path",
        "title",
        "index_number",
        "session",
        "proposal_number",
        "kind",
        "proposal_title",
        "proposers",
        "agency",
        "reply_date",
        "doc_number",
        "classification",
        "sections",
        "warnings",
    ]


def test_admin_import_round_trip(admin_client, seed_letter):
    url = reverse("admin:replies_reply_import")
    assert admin_client.get(url).status_code == 200
    preview = admin_client.post(url, {"text": seed_letter, "publish": "on", "preview": "1"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "关于“实施创新创业载体质量提升行动”" in html
    assert "新增国家级科技企业孵化器3家" in html
    form = preview.context["form"]
    sections = preview.context["sections"]
    data = {"save": "1"}
    for field in form:
        value = form.initial.get(field.name)
        data[field.name] = "on" if value is True else ("" if value in (None, False) else value)
    data["proposers"] = "王坤、李明"
    data.update(
        {
            f"sections-{k}": v
            for k, v in {
                "TOTAL_FORMS": len(sections.forms),
                "INITIAL_FORMS": len(sections.forms),
                "MIN_NUM_FORMS": 0,
                "MAX_NUM_FORMS": 200,
            }.items()
        }
    )
    for index, section_form in enumerate(sections.forms):
        data[f"sections-{index}-heading"] = section_form.initial.get("heading", "")
        topic = section_form.initial.get("topic")
        data[f"sections-{index}-topic"] = topic.pk if topic else ""
    data["sections-0-heading"] = "关于加大科技投入（已核对）"
    saved = admin_client.post(url, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    reply = Reply.objects.get()
    assert reply.is_published
    assert reply.commitments.count() == 5
    assert reply.commitments.get(number=1).heading == "关于加大科技投入（已核对）"
    assert [p.name for p in reply.proposal.proposers.order_by("proposalproposer__position")] == [
        "王坤",
        "李明",
    ]


def test_admin_import_rejects_bad_upload_and_changes_nothing(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("admin:replies_reply_import")
    response = admin_client.post(
        url, {"file": SimpleUploadedFile("letter.pdf", b"%PDF-1.4"), "preview": "1"}
    )
    assert response.status_code == 200
    assert "只能上传" in response.content.decode()
    response = admin_client.post(url, {"text": "", "preview": "1"})
    assert "请粘贴答复函全文或上传文件" in response.content.decode()
    assert Proposal.objects.count() == 0


def test_admin_import_invalid_preview_redisplays(admin_client, seed_letter):
    url = reverse("admin:replies_reply_import")
    data = {
        "save": "1",
        "letter": seed_letter,
        "kind": "proposal",
        "proposal_title": "标题",
        "session": "不是会议",
        "reply_date": "2021-02-30",
        "sections-TOTAL_FORMS": 0,
        "sections-INITIAL_FORMS": 0,
        "sections-MIN_NUM_FORMS": 0,
        "sections-MAX_NUM_FORMS": 200,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "十五届五次会议" in html and "有效的日期" in html
    assert Proposal.objects.count() == 0
