"""Forms of the admin's letter import: paste or upload, then check and correct the preview."""

import dataclasses
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.numerals import parse_session_label
from proposals.forms import ProposalForm
from proposals.models import Committee, Proposal, Topic
from replies.models import Classification, CommitmentStatus, Reply, Satisfaction
from replies.parsing import ParsedLetter, ParsedSection, ParsedTarget, read_letter_bytes
from replies.parsing.targets import plain_number
from replies.services.coverage import TEXT_MAX_CHARS

# Text and saved web pages: a letter is a few thousand characters, so 2 MB is plenty.
# Word, PDF and scanned letters are bounded by settings.LETTER_UPLOAD_MAX_BYTES instead.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
TEXT_EXTENSIONS = {".txt", ".text", ".html", ".htm"}
DOCUMENT_EXTENSIONS = {".docx", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}
# Accepted at the door only to be refused with the way to convert them (另存为 .docx).
LEGACY_EXTENSIONS = {".doc", ".wps"}
LETTER_EXTENSIONS = TEXT_EXTENSIONS | DOCUMENT_EXTENSIONS | LEGACY_EXTENSIONS
MAX_LETTER_CHARS = 500_000


def read_upload(upload) -> str | None:
    """The text of an uploaded letter (or proposal) file in any of the letter formats;
    a clear message for a file of the wrong type, size or content."""
    if not upload:
        return None
    suffix = PurePath(upload.name).suffix.lower()
    if suffix not in LETTER_EXTENSIONS:
        raise ValidationError(
            _("只能上传 .txt、.html、.htm、.docx、.pdf 或扫描图片（.png、.jpg、.tif）文件。"),
            code="file_type",
        )
    if suffix in TEXT_EXTENSIONS and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("文件超过 2 MB，不像是一封答复函。"), code="file_size")
    if upload.size > settings.LETTER_UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("文件超过 %(mb)s MB，不像是一封答复函。")
            % {"mb": settings.LETTER_UPLOAD_MAX_BYTES // (1024 * 1024)},
            code="file_size",
        )
    # Read into memory and parsed there; the upload itself is never stored (Django
    # deletes a large upload's temporary file when the request ends).
    text, warnings = read_letter_bytes(
        upload.read(), upload.name, max_pages=settings.LETTER_OCR_MAX_PAGES
    )
    if text is None:
        raise ValidationError("；".join(warnings) or _("无法读取这个文件。"), code="unreadable")
    return text


class LetterSourceForm(forms.Form):
    text = forms.CharField(
        label=_("答复函全文"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 90}),
        help_text=_("从公开页面复制全文粘贴到这里，或上传保存的文本或网页文件。"),
        max_length=MAX_LETTER_CHARS,
    )
    file = forms.FileField(
        label=_("或上传文件"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(sorted(TEXT_EXTENSIONS | DOCUMENT_EXTENSIONS))}
        ),
    )
    source_url = forms.URLField(label=_("来源网址"), required=False, max_length=500)
    publish = forms.BooleanField(
        label=_("保存后立即公开"),
        required=False,
        initial=True,
        help_text=_("取消勾选则保存为草稿，公众看不到。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "支持文本或网页（.txt、.html、.htm，最大 2 MB，UTF-8 或 GB18030 编码）、"
            "Word（.docx）、PDF 和扫描图片（.png、.jpg、.tif），最大 %(mb)s MB；"
            "扫描件在这里最多识别 %(pages)s 页。"
        ) % {
            "mb": settings.LETTER_UPLOAD_MAX_BYTES // (1024 * 1024),
            "pages": settings.LETTER_OCR_MAX_PAGES,
        }

    def clean_file(self):
        return read_upload(self.cleaned_data.get("file"))

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("file") or (cleaned.get("text") or "").replace("\x00", "")
        if not self.errors and not text.strip():
            raise ValidationError(_("请粘贴答复函全文或上传文件。"), code="empty")
        cleaned["letter"] = text
        return cleaned


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            _MultipleFileInput(
                attrs={"accept": ",".join(sorted(TEXT_EXTENSIONS | DOCUMENT_EXTENSIONS))}
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not items:
            super().clean(None, initial)  # "required"
            return []
        return [super(_MultipleFileField, self).clean(item, initial) for item in items]


# Files of one batch: Django refuses more than DATA_UPLOAD_MAX_NUMBER_FILES (100) anyway.
MAX_BATCH_FILES = 100


class BatchImportForm(forms.Form):
    """Many letters at once, imported in the background with a progress page."""

    files = _MultipleFileField(
        label=_("答复函文件"),
        error_messages={"required": _("请选择要导入的答复函文件。")},
    )
    committee = forms.ModelChoiceField(
        label=_("委员会"),
        queryset=None,
        required=False,
        empty_label=_("按答复单位所在地区识别"),
        help_text=_("选择后，这批答复函都归入这个委员会。"),
    )
    unknown_committee = forms.BooleanField(
        label=_("地区不明时归入“未注明地区”"),
        required=False,
        help_text=_("不勾选时，读不出地区的答复函导入失败并列出原因，可改为单独导入。"),
    )
    publish = forms.BooleanField(
        label=_("导入后立即公开"),
        required=False,
        help_text=_("取消勾选则保存为草稿，公众看不到。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = Committee.objects.order_by("name")
        self.fields["files"].help_text = _(
            "可一次选择多个文件（最多 %(count)s 个）：文本、网页、Word（.docx）、PDF 或扫描图片，"
            "每个最大 %(mb)s MB。扫描件在后台识别，不限页数。"
        ) % {"count": MAX_BATCH_FILES, "mb": settings.LETTER_UPLOAD_MAX_BYTES // (1024 * 1024)}

    def clean_files(self) -> list[tuple[str, bytes]]:
        uploads = self.cleaned_data.get("files") or []
        if len(uploads) > MAX_BATCH_FILES:
            raise ValidationError(
                _("一次最多导入 %(count)s 个文件。") % {"count": MAX_BATCH_FILES}, code="too_many"
            )
        problems, files = [], []
        for upload in uploads:
            name = PurePath(upload.name).name
            suffix = PurePath(name).suffix.lower()
            if suffix not in LETTER_EXTENSIONS:
                problems.append(_("%(name)s：文件类型不支持。") % {"name": name})
            elif suffix in TEXT_EXTENSIONS and upload.size > MAX_UPLOAD_BYTES:
                problems.append(_("%(name)s：文本文件超过 2 MB。") % {"name": name})
            elif upload.size > settings.LETTER_UPLOAD_MAX_BYTES:
                problems.append(
                    _("%(name)s：超过 %(mb)s MB。")
                    % {"name": name, "mb": settings.LETTER_UPLOAD_MAX_BYTES // (1024 * 1024)}
                )
            else:
                files.append((name, upload.read()))
        if problems:
            raise ValidationError(problems, code="file")
        return files


class LetterPreviewForm(forms.Form):
    """The parsed fields, editable; the raw letter travels along unchanged."""

    letter = forms.CharField(widget=forms.HiddenInput, max_length=MAX_LETTER_CHARS)
    source_url = forms.URLField(widget=forms.HiddenInput, required=False, max_length=500)
    publish = forms.BooleanField(label=_("保存后立即公开"), required=False)
    session = forms.CharField(
        label=_("会议"), required=False, max_length=40, help_text=_("例如：十五届五次会议")
    )
    proposal_number = forms.CharField(label=_("提案编号"), required=False, max_length=30)
    kind = forms.ChoiceField(label=_("类别"), choices=Proposal.Kind.choices)
    proposal_title = forms.CharField(label=_("提案标题"), max_length=300)
    proposers = forms.CharField(
        label=_("提案人"), required=False, max_length=300, help_text=_("多人用“、”分隔")
    )
    committee = forms.ChoiceField(
        label=_("委员会"),
        help_text=_("答复函所答复的政协或人大。列表中没有时可选择“新建”。"),
        error_messages={"required": _("请选择这封答复函所属的委员会。")},
    )
    reply_role = forms.ChoiceField(
        label=_("答复类型"),
        choices=Reply.Role.choices,
        help_text=_("会办意见（协办单位给主办单位的意见）单独保存，不作为答复。"),
    )
    agency = forms.CharField(
        label=_("答复单位"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"list": "department-names"}),
        help_text=_("请使用系统中已有的承办单位名称；新名称会新建一个承办单位。"),
    )
    reply_date = forms.DateField(label=_("答复日期"), required=False)
    doc_number = forms.CharField(label=_("文号"), required=False, max_length=100)
    classification = forms.ChoiceField(
        label=_("办理结果类别"), required=False, choices=[("", "—"), *Classification.choices]
    )

    def __init__(self, *args, committee_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = list(committee_choices)

    @classmethod
    def initial_from(
        cls, parsed: ParsedLetter, *, letter: str, source_url: str, publish: bool, committee: str
    ):
        return {
            "letter": letter,
            "source_url": source_url,
            "publish": publish,
            "committee": committee,
            "reply_role": parsed.reply_role,
            "session": parsed.session or "",
            "proposal_number": parsed.proposal_number or "",
            "kind": parsed.kind,
            "proposal_title": parsed.proposal_title or parsed.title or "",
            "proposers": "、".join(parsed.proposers),
            "agency": parsed.agency or "",
            "reply_date": parsed.reply_date,
            "doc_number": parsed.doc_number or "",
            "classification": parsed.classification or "",
        }

    def clean_session(self):
        value = self.cleaned_data["session"].strip()
        if value and parse_session_label(value) is None:
            raise ValidationError(_("请按“十五届五次会议”的格式填写，或留空。"), code="session")
        return value

    def apply_to(self, parsed: ParsedLetter, sections: tuple[ParsedSection, ...]) -> ParsedLetter:
        """The parsed letter with the staff's corrections (``sections``: the commitments
        as edited, see ``BaseSectionFormSet.edited_sections``)."""
        data = self.cleaned_data
        numbered = bool(parsed.sections)
        return dataclasses.replace(
            parsed,
            session=data["session"] or None,
            proposal_number=data["proposal_number"].strip() or None,
            kind=data["kind"],
            proposal_title=data["proposal_title"].strip(),
            proposers=tuple(
                name.strip()
                for name in data["proposers"].replace(",", "、").replace("，", "、").split("、")
                if name.strip()
            ),
            agency=data["agency"].strip() or None,
            reply_date=data["reply_date"],
            doc_number=data["doc_number"].strip() or None,
            classification=data["classification"] or None,
            reply_role=data["reply_role"],
            # A letter without numbered sections keeps its commitments derived.
            sections=sections if numbered else (),
            derived_sections=() if numbered else sections,
        )


class SectionForm(forms.Form):
    """One commitment of the preview: edited, merged into the one before, deleted, or added
    (the empty row at the end)."""

    original = forms.IntegerField(widget=forms.HiddenInput, required=False)
    heading = forms.CharField(label=_("小标题"), required=False, max_length=300)
    text = forms.CharField(
        label=_("内容"),
        required=False,
        max_length=MAX_LETTER_CHARS,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 90}),
        help_text=_("要拆分一项承诺：把后一部分剪切到最后的空白行里。"),
    )
    due_on = forms.DateField(
        label=_("完成期限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    targets = forms.CharField(
        label=_("量化指标"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("每行一项：指标、数值、单位，用竖线分隔，例如：新增省级孵化器|20|家"),
    )
    topic = forms.ModelChoiceField(label=_("主题"), queryset=Topic.objects.all(), required=False)
    merge = forms.BooleanField(label=_("并入上一项"), required=False)

    def clean_targets(self) -> list[tuple[str, Decimal, str]]:
        rows = []
        for line in (self.cleaned_data.get("targets") or "").splitlines():
            if not line.strip():
                continue
            parts = [part.strip() for part in line.replace("｜", "|").split("|")]
            if len(parts) != 3 or not parts[0]:
                raise ValidationError(
                    _("量化指标“%(line)s”的格式不对：请写成“指标|数值|单位”。")
                    % {"line": line[:40]},
                    code="target",
                )
            try:
                quantity = Decimal(parts[1])
            except InvalidOperation:
                quantity = None
            if quantity is None or not quantity.is_finite() or not 0 < quantity < 10**12:
                raise ValidationError(
                    _("量化指标“%(text)s”的数值必须是大于 0 的数字。") % {"text": parts[0][:40]},
                    code="quantity",
                )
            rows.append((parts[0][:300], quantity, parts[2][:20]))
        return rows

    @staticmethod
    def initial_from(section: ParsedSection, topics: dict) -> dict:
        return {
            "original": section.number,
            "heading": section.heading or "",
            "text": section.text,
            "due_on": section.due_on,
            "targets": "\n".join(
                f"{target.text}|{target.quantity.normalize():f}|{target.unit}"
                for target in section.targets
            ),
            "topic": topics.get(section.topic),
        }


class BaseSectionFormSet(forms.BaseFormSet):
    def edited_sections(self, parsed_sections) -> tuple[ParsedSection, ...]:
        """The commitments as staff left them, numbered again from 1. An untouched row keeps
        everything the parser read; an edited, merged or new one keeps the promises whose
        sentences are still in its text and takes the due date and targets typed."""
        originals = {section.number: section for section in parsed_sections}
        rows: list[dict] = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            text = (data.get("text") or "").strip()
            source = originals.get(data.get("original"))
            if not text and source is None:
                continue  # the empty row, left empty
            if data.get("merge") and rows:
                previous = rows[-1]
                previous["text"] = f"{previous['text']}\n{text}".strip()
                previous["sources"].append(source)
                previous["targets"] += data["targets"]
                previous["edited"] = True
                continue
            rows.append(
                {
                    "data": data,
                    "text": text,
                    "sources": [source],
                    "targets": list(data["targets"]),
                    "edited": source is None or _changed(form, source),
                }
            )
        sections = []
        for number, row in enumerate(rows, start=1):
            data, sources = row["data"], [s for s in row["sources"] if s is not None]
            first = sources[0] if sources else None
            topic = data["topic"].key if data.get("topic") else None
            if first is not None and not row["edited"]:
                sections.append(
                    dataclasses.replace(
                        first, number=number, heading=data.get("heading") or None, topic=topic
                    )
                )
                continue
            promises = tuple(
                promise
                for source in sources
                for promise in source.promises
                if promise.text and promise.text in row["text"]
            )
            sections.append(
                ParsedSection(
                    number=number,
                    marker=first.marker if first is not None else "",
                    heading=data.get("heading") or None,
                    text=row["text"],
                    topic=topic,
                    commitments=tuple(
                        c for source in sources for c in source.commitments if c.text in row["text"]
                    ),
                    targets=tuple(
                        ParsedTarget(
                            text=text, quantity=quantity, unit=unit, deadline=data["due_on"]
                        )
                        for text, quantity, unit in row["targets"]
                    ),
                    promises=promises,
                    derived=any(source.derived for source in sources),
                    due_override=data.get("due_on"),
                    edited=True,
                )
            )
        return tuple(sections)


def _changed(form, source: ParsedSection) -> bool:
    data = form.cleaned_data
    typed_targets = [(text, quantity, unit) for text, quantity, unit in data["targets"]]
    read_targets = [(t.text[:300], t.quantity, t.unit[:20]) for t in source.targets]
    return (
        (data.get("text") or "").strip() != source.text.strip()
        or data.get("due_on") != source.due_on
        or typed_targets != read_targets
    )


SectionFormSet = forms.formset_factory(
    SectionForm,
    formset=BaseSectionFormSet,
    extra=1,
    can_delete=True,
    max_num=200,
    validate_max=True,
)


class RatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("您对这件答复是否满意？"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("意见（可选）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ProgressForm(forms.Form):
    """A progress update from the staff page: the update plus targets' achieved values."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    date = forms.DateField(
        label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    status = forms.ChoiceField(label=_("状态"), choices=CommitmentStatus.choices)
    note = forms.CharField(
        label=_("进展说明"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    evidence_url = forms.URLField(label=_("佐证链接"), required=False, max_length=500)
    attachment = forms.FileField(
        label=_("佐证附件"),
        required=False,
        help_text=_("PDF、图片或 Office 文档，最大 10 MB。"),
    )

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = list(targets)
        for target in self.targets:
            self.fields[f"achieved_{target.pk}"] = forms.DecimalField(
                label=_("%(text)s 已完成（目标 %(quantity)s%(unit)s）")
                % {
                    "text": target.text,
                    "quantity": plain_number(target.quantity),
                    "unit": target.unit,
                },
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
                initial=target.achieved,
            )

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            validate_evidence_file(upload)
        return upload

    def achieved(self) -> dict[int, object]:
        return {
            target.pk: self.cleaned_data.get(f"achieved_{target.pk}") for target in self.targets
        }


EVIDENCE_EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg", ".doc", ".docx", ".xls", ".xlsx", ".txt"}
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
# How each kind of file begins: an HTML page renamed to .pdf is refused at the door, not
# only made harmless when it is served (as a download with nosniff, see replies/views.py).
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc and .xls
_ZIP = b"PK\x03\x04"  # .docx and .xlsx
EVIDENCE_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".doc": (_OLE,),
    ".xls": (_OLE,),
    ".docx": (_ZIP,),
    ".xlsx": (_ZIP,),
}


def validate_evidence_file(upload) -> None:
    """Evidence uploads (the staff progress form and the admin): type, size and content."""
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in EVIDENCE_EXTENSIONS:
        raise ValidationError(_("只能上传 PDF、图片、Word、Excel 或文本文件。"), code="file_type")
    if upload.size > MAX_EVIDENCE_BYTES:
        raise ValidationError(_("附件不能超过 10 MB。"), code="file_size")
    if not _content_matches(upload, suffix):
        raise ValidationError(
            _("附件内容与文件类型（%(suffix)s）不符，请上传原始文件。") % {"suffix": suffix},
            code="file_content",
        )


def _content_matches(upload, suffix: str) -> bool:
    upload.seek(0)
    try:
        if suffix == ".txt":
            return _is_plain_text(upload.read())
        head = upload.read(16)
    finally:
        upload.seek(0)
    return head.startswith(EVIDENCE_SIGNATURES[suffix])


def _is_plain_text(data: bytes) -> bool:
    """UTF-8 or GB18030 text without NUL bytes: what a clerk's .txt evidence is."""
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


class WithdrawForm(forms.Form):
    """The office's reason for withdrawing a published reply: shown on the public page."""

    reason = forms.CharField(
        label=_("撤回理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("理由将显示在提案页面上，代替被撤回的答复。请勿填写个人信息。"),
    )


class DeadlineForm(forms.Form):
    """A commitment's due date: set directly on a draft, requested with a reason once
    published (the office approves it; the reason is then public)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    new_due = forms.DateField(
        label=_("新的完成期限"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("变更理由"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_(
            "已公开的承诺：理由在提案委批准后将显示在公开页面上（显示为“批准：提案委”，"
            "不显示个人姓名）。请勿填写个人信息。"
        ),
    )


class ProposalTextForm(ProposalForm):
    """The proposal's admin form plus its own text (案由 and numbered 建议) and the office's
    可公开 switch, saved through ``replies.services.coverage.save_proposal_text``."""

    proposal_text = forms.CharField(
        label=_("提案原文"),
        required=False,
        max_length=TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 90}),
        help_text=_(
            "粘贴提案的案由和建议（一、二、… 或 1. 2. … 编号），用于逐条对照答复；默认不公开。"
        ),
    )
    proposal_text_file = forms.FileField(
        label=_("或上传提案原文"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(sorted(TEXT_EXTENSIONS | DOCUMENT_EXTENSIONS))}
        ),
        help_text=_(
            "与答复函相同的格式（.txt、.html、.docx、.pdf 等）；上传的文件替换上面的文字。"
        ),
    )
    proposal_text_public = forms.BooleanField(
        label=_("原文可公开"),
        required=False,
        help_text=_("只有提案委可以勾选：公开页面显示提案原文（隐去个人信息）与逐条答复对照。"),
    )

    class Meta:
        model = Proposal
        # The proposal admin's own fields (ModelAdmin passes them): this form only adds.
        fields = "__all__"  # noqa: DJ007

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["proposal_text"].initial = self.instance.text
            self.fields["proposal_text_public"].initial = self.instance.text_public

    def clean_proposal_text_file(self):
        return read_upload(self.cleaned_data.get("proposal_text_file"))

    def clean(self):
        cleaned = super().clean()
        uploaded = cleaned.get("proposal_text_file")
        if uploaded:
            if len(uploaded) > TEXT_MAX_CHARS:
                self.add_error("proposal_text_file", _("文件中的文字过长，不像是一件提案。"))
            else:
                cleaned["proposal_text"] = uploaded
        return cleaned
