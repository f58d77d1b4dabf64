"""Importing letters: idempotent, atomic, in place; the commands and the admin import."""

import json
import logging
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
        "reply_role",
        "proposal_title",
        "proposers",
        "agency",
        "reply_date",
        "doc_number",
        "classification",
        "sections",
        "promises",
        "derived_sections",
        "pages",
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


# ---------------------------------------------------------------------------
# Batches: what the import command runs, many letters in one transaction
# ---------------------------------------------------------------------------

# A saved page without the letter: nothing but its print and close links. The reply would
# have no body, so validation refuses it; before that, it creates what a letter naming
# nothing needs (a committee, session, department and proposal).
EMPTY_LETTER = "打印本页 关闭窗口"
# Named nothing either: the same committee, session, department and proposal number.
UNNAMED_LETTER = "感谢您的建议。我们将加强社区养老服务。"


def stored_rows() -> dict[str, list]:
    """What imports stored, without primary keys and times, in a stable order."""
    proposals = [
        (
            p.session.committee.name,
            p.session.label,
            p.session.year,
            p.number,
            p.title,
            p.kind,
            p.status,
            p.lead_department.name,
            [link.proposer.name for link in p.proposalproposer_set.order_by("position")],
            sorted(p.topics.values_list("key", flat=True)),
            p.replied_on,
            p.history.count(),
        )
        for p in Proposal.objects.select_related("session__committee", "lead_department")
    ]
    replies = [
        (
            r.proposal.number,
            r.department.name,
            r.role,
            r.title,
            r.doc_number,
            r.letter_date,
            r.body,
            r.classification,
            r.source_hash,
            r.published_at is not None,
            r.supersedes.source_hash if r.supersedes else None,
            r.history.count(),
        )
        for r in Reply.objects.select_related("proposal", "department", "supersedes")
    ]
    commitments = [
        (
            c.reply.source_hash,
            c.number,
            c.marker,
            c.heading,
            c.text,
            json.dumps(c.statements, ensure_ascii=False),
            c.status,
            c.progress,
            c.topic.key if c.topic else None,
            c.due_on,
            c.owner.name,
            c.version,
            c.history.count(),
            sorted((t.text, t.quantity, t.unit, t.due_on, t.achieved) for t in c.targets.all()),
        )
        for c in CommitmentItem.objects.select_related("reply", "topic", "owner")
    ]
    return {
        "proposals": sorted(proposals, key=repr),
        "replies": sorted(replies, key=repr),
        "commitments": sorted(commitments, key=repr),
        "counts": table_counts(),
    }


def one_by_one(texts: list[str]) -> tuple[list[str], dict[str, list]]:
    """The outcomes and stored rows of importing ``texts`` one letter at a time; nothing is
    kept."""
    from django.db import transaction

    with transaction.atomic():
        outcomes = [services.import_letter(text=text).outcome for text in texts]
        rows = stored_rows()
        transaction.set_rollback(True)
    return outcomes, rows


def batch_together(texts: list[str], caplog) -> list[str]:
    """The outcomes of ``import_letters_batch``, which must have imported the letters
    together (not one by one after a refusal)."""
    with caplog.at_level(logging.DEBUG, logger="replies.services"):
        outcomes = services.import_letters_batch(texts)
    assert "imported one by one" not in caplog.text
    return [outcome.outcome for outcome in outcomes]


def synthetic_letters(count: int) -> list[str]:
    """An answer and a co-handler's opinion for each of ``count`` generated proposals."""
    from proposals.synthetic import Composer

    composer = Composer(7)
    letters = []
    for index in range(count):
        proposal = composer.proposal(index + 1, [])
        letters += [reply.body for reply in proposal.replies[:2]]
    return letters


def test_batch_stores_what_importing_one_by_one_stores(samples_dir, seed_letter, caplog):
    """Lookups shared and new replies written together, the rows are the same; a letter
    twice in a batch is unchanged the second time, a corrected one updates in place."""
    corrected = seed_letter.replace("加大各类高层次人才的引进力度", "加大人才引进和培养力度")
    texts = [path.read_text(encoding="utf-8") for path in sorted(samples_dir.glob("letters/*"))]
    texts += synthetic_letters(3) + [seed_letter, corrected]
    expected_outcomes, expected = one_by_one(texts)
    assert expected_outcomes[-2:] == ["unchanged", "updated"]
    assert batch_together(texts, caplog) == expected_outcomes
    assert stored_rows() == expected


def test_batch_on_proposals_imported_before_it(seed, seed_letter, samples_dir, caplog):
    """Proposals that were there before the batch: read at its start, then left unchanged,
    re-handled after 不满意 (a new answer superseding the old one), corrected in place
    with their proposers reordered, as one letter after the other would. A session known
    without its year gets the letter's."""
    from replies.models import Satisfaction

    services.rate_reply(reply=seed.reply, satisfaction=Satisfaction.UNSATISFIED, comment="不够")
    committee = seed.proposal.session.committee
    Session.objects.create(committee=committee, term=15, meeting=4, year=None)
    letters = samples_dir / "letters"
    services.import_letter(text=(letters / "003.txt").read_text(encoding="utf-8"))
    services.import_letter(text=(letters / "007.txt").read_text(encoding="utf-8"))
    corrected = seed_letter.replace("加大各类高层次人才的引进力度", "加大人才引进和培养力度")
    texts = [
        seed_letter,
        corrected,
        corrected.replace("王坤委员:", "李明、王坤委员:"),
        (letters / "003.txt").read_text(encoding="utf-8"),
        (letters / "007.txt").read_text(encoding="utf-8").replace("我们", "我局"),
        seed_letter.replace("十五届五次会议", "十五届四次会议"),
    ]
    expected_outcomes, expected = one_by_one(texts)
    assert expected_outcomes == [
        "unchanged",
        "imported",
        "updated",
        "unchanged",
        "updated",
        "imported",
    ]
    assert batch_together(texts, caplog) == expected_outcomes
    assert stored_rows() == expected


def test_batch_keeps_the_good_letters_and_nothing_of_a_bad_one(seed_letter, caplog):
    """The letter in the middle is refused: it is reported and rolled back alone, and the
    letter after it, needing the same new committee, session and department, gets them."""
    good = [seed_letter, UNNAMED_LETTER]
    expected_outcomes, expected = one_by_one(good)
    with caplog.at_level(logging.DEBUG, logger="replies.services"):
        outcomes = services.import_letters_batch([seed_letter, EMPTY_LETTER, UNNAMED_LETTER])
    assert "3 letters imported one by one: 正文：此字段不能为空。" in caplog.text
    assert [outcome.outcome for outcome in outcomes] == ["imported", "failed", "imported"]
    assert outcomes[1].result is None
    assert outcomes[1].error == "正文：此字段不能为空。"
    assert stored_rows() == expected
    assert Committee.objects.filter(name="未注明地区政协").count() == 1


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


def test_batch_dry_run_stores_nothing(seed_letter):
    before = table_counts()
    outcomes = services.import_letters_batch([seed_letter, EMPTY_LETTER], dry_run=True)
    assert [outcome.outcome for outcome in outcomes] == ["imported", "failed"]
    assert table_counts() == before


def test_batch_queries_do_not_grow_with_sections(seed_letter):
    """A batch is read and written a few queries for all its letters: five-section letters
    cost what two-section letters cost, and eight letters what four cost."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    head, rest = seed_letter.split("三、关于", 1)
    short = head + "感谢您" + rest.split("感谢您", 1)[1]

    def batch(letter: str, numbers: range) -> int:
        texts = [letter.replace("第89号", f"第{number}号") for number in numbers]
        with CaptureQueriesContext(connection) as queries:
            outcomes = services.import_letters_batch(texts)
        assert {outcome.outcome for outcome in outcomes} == {"imported"}
        return len(queries)

    batch(seed_letter, range(1, 2))  # the committee, session, department and proposer
    five = batch(seed_letter, range(100, 104))
    two = batch(short, range(200, 204))
    eight = batch(seed_letter, range(300, 308))
    # The two-section letters have no targets: one insert fewer.
    assert two <= five <= two + 1
    assert CommitmentItem.objects.filter(reply__proposal__number="100").count() == 5
    assert CommitmentItem.objects.filter(reply__proposal__number="200").count() == 2
    # Four more letters cost no more queries (on SQLite, reindexing writes each
    # proposal's replied_on with a query of its own).
    assert eight - five <= 4


def test_batch_reindexes_once_and_the_letters_are_searchable(seed_letter):
    """import_letter(reindex=False) leaves reindexing to the caller; a batch does it for all
    its proposals before committing, with both letters of a proposal in its text."""
    from proposals.search import reindex_proposals, search_proposals

    deferred = services.import_letter(text=seed_letter, reindex=False)
    deferred.proposal.refresh_from_db()
    assert deferred.proposal.replied_on is None
    reindex_proposals([deferred.proposal.pk])
    deferred.proposal.refresh_from_db()
    assert deferred.proposal.replied_on == deferred.reply.letter_date

    answer, opinion = synthetic_letters(1)
    outcomes = services.import_letters_batch([answer, opinion])
    proposal = outcomes[0].result.proposal
    assert outcomes[1].result.proposal.pk == proposal.pk
    proposal.refresh_from_db()
    assert proposal.replied_on is not None
    public = Proposal.objects.public()
    for reply in Reply.objects.filter(proposal=proposal):
        words = reply.commitments.order_by("number").first().text[:6]
        assert list(search_proposals(public, words).values_list("pk", flat=True)) == [proposal.pk]
