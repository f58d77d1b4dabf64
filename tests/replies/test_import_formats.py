"""Importing letters received as .docx, PDF and scans: the command and the admin upload."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from bench.ocr_recipe import letter_docx, letter_pdf, scan_pages
from core import roles
from proposals.models import Proposal
from replies.models import Reply
from tests.helpers import preview_form_data
from tests.replies.samples import require_samples, require_tesseract

pytestmark = pytest.mark.django_db

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def _letter(name: str) -> str:
    return (require_samples() / "letters" / name).read_text(encoding="utf-8")


def test_import_letters_reads_docx_pdf_and_png_in_a_folder(tmp_path, capsys):
    """A folder of a Word letter, a text PDF and a scanned page (PNG) is imported whole."""
    require_tesseract()
    (tmp_path / "002.docx").write_bytes(letter_docx(_letter("002.txt")))
    (tmp_path / "003.pdf").write_bytes(letter_pdf(_letter("003.txt"))[0])
    # The seed's first page, scanned: it holds the session, number and publisher.
    first_page = Image.open(io.BytesIO(scan_pages(_letter("001.txt"))[0]))
    first_page.save(tmp_path / "001.png", format="PNG")
    call_command("import_letters", str(tmp_path), "--unknown-committee")
    assert "导入 3，更新 0，未变 0，失败 0" in capsys.readouterr().out
    assert Reply.objects.count() == 3
    scanned = Proposal.objects.get(number="89")
    assert scanned.session.label == "十五届五次会议"


def test_import_letters_refuses_doc_and_wps_with_how_to_convert(tmp_path, capsys):
    (tmp_path / "旧答复.doc").write_bytes(OLE)
    (tmp_path / "旧答复.wps").write_bytes(OLE)
    with pytest.raises(CommandError, match="2 个文件导入失败"):
        call_command("import_letters", str(tmp_path))
    err = capsys.readouterr().err
    assert err.count("另存为") == 2 and "旧答复.doc" in err and "旧答复.wps" in err
    assert Proposal.objects.count() == 0


def test_parse_letter_reads_a_docx(tmp_path, capsys):
    import json

    path = tmp_path / "seed.docx"
    path.write_bytes(letter_docx(_letter("001.txt")))
    call_command("parse_letter", "--json", str(path))
    (result,) = json.loads(capsys.readouterr().out)
    assert result["proposal_number"] == "89" and len(result["sections"]) == 5


# ---------------------------------------------------------------------------
# The admin's import page
# ---------------------------------------------------------------------------

URL = "/admin/replies/reply/import/"


@pytest.fixture
def office_client(client):
    office = User.objects.create_superuser("office", password="office-pass-1")
    office.groups.add(Group.objects.get(name=roles.OFFICE))
    client.force_login(office)
    return client


def test_admin_import_accepts_a_docx_upload_and_keeps_no_file(office_client, settings, tmp_path):
    """A .docx upload is previewed and saved like a pasted letter; the upload (spooled to a
    temporary file here) is gone after the request and nothing lands in MEDIA_ROOT."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "uploads").mkdir()
    upload = SimpleUploadedFile("答复函.docx", letter_docx(_letter("001.txt")))
    preview = office_client.post(URL, {"file": upload, "publish": "on", "preview": "1"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "关于“实施创新创业载体质量提升行动”" in html
    assert "新增国家级科技企业孵化器3家" in html
    saved = office_client.post(URL, preview_form_data(preview))
    assert saved.status_code == 302
    reply = Reply.objects.get()
    assert reply.proposal.number == "89" and reply.commitments.count() == 5
    assert list((tmp_path / "uploads").iterdir()) == []
    assert not (tmp_path / "media").exists() or list((tmp_path / "media").rglob("*")) == []


def test_admin_import_page_offers_the_new_formats(office_client):
    html = office_client.get(URL).content.decode()
    assert ".docx" in html and "最大 20 MB" in html and "最多识别 5 页" in html
    assert 'accept=".docx,.htm,.html,.jpeg,.jpg,.pdf,.png,.text,.tif,.tiff,.txt"' in html


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("答复函.doc", OLE, "另存为"),
        ("答复函.wps", OLE, "另存为"),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024), "超过 20 MB"),
        ("letter.exe", b"MZ", "只能上传"),
    ],
)
def test_admin_import_refuses_with_a_chinese_reason(office_client, name, data, message):
    response = office_client.post(URL, {"file": SimpleUploadedFile(name, data), "preview": "1"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Proposal.objects.count() == 0


def test_admin_import_sends_long_scans_to_the_command(office_client):
    """OCR in a web request is bounded (LETTER_OCR_MAX_PAGES): six scanned pages are
    refused before any is read, telling staff to use import_letters."""
    pages = [Image.new("L", (850, 1100), 255) for _ in range(6)]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:])
    response = office_client.post(
        URL, {"file": SimpleUploadedFile("扫描件.tif", buffer.getvalue()), "preview": "1"}
    )
    html = response.content.decode()
    assert "6 页" in html and "最多识别 5 页" in html and "import_letters" in html
