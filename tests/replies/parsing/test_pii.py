"""Tests for replies.parsing.pii: personal contact details found and masked before publishing.

Pure tests: no database. The sample letters are read in place (settings.SAMPLES_DIR); all
other letters here are invented.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replies.parsing import PiiSpan, apply_decisions, find_personal_data, mask_text
from replies.parsing.pii import FIELD_PLACEHOLDER, is_valid_id_number

SAMPLES_DIR = Path(django_settings.SAMPLES_DIR)
IN_CI = os.environ.get("CI", "").lower() == "true"


# ---------------------------------------------------------------------------
# The labelled samples: every mask item hidden, every keep item shown
# ---------------------------------------------------------------------------


def _sample_cases() -> list:
    cases = []
    for folder in ("", "more"):
        labels = SAMPLES_DIR / folder / "pii.json"
        if not labels.is_file():
            reason = f"PII labels not found at {labels} (set SAMPLES_DIR)"
            marks = () if IN_CI else pytest.mark.skip(reason=reason)
            cases.append(
                pytest.param(folder, None, reason, marks=marks, id=f"{folder or 'letters'}-absent")
            )
            continue
        for entry in json.loads(labels.read_text(encoding="utf-8")):
            cases.append(
                pytest.param(folder, entry, "", id=f"{folder or 'letters'}/{entry['file']}")
            )
    return cases


def _covered(text: str, item: str, spans: list[PiiSpan]) -> bool:
    """Every occurrence of a mask item lies in a span; an item that carries its label
    (``联系人:王``) needs only its value inside one."""
    colon = max(item.rfind(":"), item.rfind("："))
    value_offset = colon + 1
    pos = text.find(item)
    if pos == -1:
        return False
    while pos != -1:
        start, end = pos + value_offset, pos + len(item)
        if not any(s.start <= start and end <= s.end for s in spans):
            return False
        pos = text.find(item, pos + 1)
    return True


@pytest.mark.parametrize(("folder", "entry", "missing"), _sample_cases())
def test_sample_letters_masked_as_labelled(folder, entry, missing):
    """Each labelled mask item is detected and gone from the masked text; each keep item
    (索引号, 文号, dates, hotlines, officials, proposers …) is still there verbatim."""
    if entry is None:
        pytest.fail(missing)
    text = (SAMPLES_DIR / folder / "letters" / entry["file"]).read_text(encoding="utf-8")
    spans = find_personal_data(text)
    masked = mask_text(text, spans)
    for item in entry["mask"]:
        assert _covered(text, item["text"], spans), item
        assert item["text"] not in masked, item
    for item in entry["keep"]:
        assert item["text"] in masked, item


# ---------------------------------------------------------------------------
# Invented letters
# ---------------------------------------------------------------------------


def _letter(*tail: str, body: str = "我们将继续推进相关工作，力争年内完成。") -> str:
    """A short invented reply with the given lines after the signature."""
    return "\n".join(
        [
            "陶明远委员：",
            "您提出的《关于改善老城区停车条件的提案》收悉，现答复如下：",
            body,
            "感谢您对我们工作的关心和支持。",
            "某某县住房和城乡建设局",
            "2023年5月18日",
            *tail,
        ]
    )


def _found(text: str) -> dict[str, str]:
    return {text[s.start : s.end]: s.kind for s in find_personal_data(text)}


def _assert_masked(text: str, *values: str) -> str:
    masked = mask_text(text)
    for value in values:
        assert value not in masked, value
    return masked


def _assert_kept(text: str, *values: str) -> str:
    masked = mask_text(text)
    for value in values:
        assert value in masked, value
    return masked


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("联系人：林晓东", "林晓东"),
        ("联 系 人：林晓东", "林晓东"),
        ("联系人:欧阳志明", "欧阳志明"),
        ("承办人：许文静", "许文静"),
        ("经办人：何雪梅", "何雪梅"),
        ("办理人：韩秋实", "韩秋实"),
        ("联系人及联系电话：郑海涛 0551-62781234", "郑海涛"),
        ("承办人及联系电话：郑海涛，13912345678", "郑海涛"),
        ("联系人及电话:郑海涛,13912345678", "郑海涛"),
        ("(联系人及联系电话:郑海涛 055162781234)", "郑海涛"),
        ("联系电话：赵立群 0311-86012345", "赵立群"),
        ("联系方式：赵立群 13912345678", "赵立群"),
        ("联系人 林晓东 联系电话 0551-62781234", "林晓东"),
        ("联系人：阿依古丽·买买提", "阿依古丽·买买提"),
        ("联系人：县交通局办公室 王五 0551-62781234", "王五"),
        ("经办人（签字）：王五", "王五"),
    ],
)
def test_contact_names_are_masked(line, name):
    """The value of a contact/handler field, in any of its label spellings, is a contact name."""
    text = _letter(line)
    assert _found(text).get(name) == "contact_name"
    masked = _assert_masked(text, name)
    assert FIELD_PLACEHOLDER in masked


def test_a_sentence_after_the_name_is_not_a_name():
    text = _letter("联系人：林晓东，请于工作日联系", "联系人：主任")
    found = _found(text)
    assert found == {"林晓东": "contact_name"}


def test_surname_only_is_masked_as_the_whole_value():
    """A contact field holding one character is masked like a full name."""
    text = _letter("联系电话：13912345678        联系人：孙")
    masked = mask_text(text)
    assert "联系人：孙" not in masked
    assert masked.endswith("联系电话：已隐去        联系人：已隐去")


def test_contact_name_is_masked_in_the_body_too():
    """A handler's name also written in the body is masked there, in readable form."""
    body = "我局规划股股长鲁文斌于6月2日与您当面沟通。"
    text = _letter("承办人：鲁文斌  联系方式：13712345678", body=body)
    masked = _assert_masked(text, "鲁文斌")
    assert "股长（联系人姓名已隐去）于6月2日" in masked
    assert "承办人：已隐去  联系方式：已隐去" in masked


@pytest.mark.parametrize(
    ("lines", "kept"),
    [
        (("承办负责人：马建设", "承办人及联系电话：汤丽 0730-6223456"), "马建设"),
        (("签发人：葛振华",), "葛振华"),
        (("分管领导：邱国梁", "分管单位：规划股", "承办人：汤丽  联系方式：13512345678"), "邱国梁"),
        (
            ("分管领导：邱国梁", "分管单位：规划股", "承办人：汤丽  联系方式：13512345678"),
            "分管单位：规划股",
        ),
        (("单位负责人：", "联系人：汤丽"), "单位负责人："),
        (("联系人：汤丽 13512345678", "", "      责任编辑：罗小凤"), "罗小凤"),
    ],
)
def test_officials_and_units_stay(lines, kept):
    """Officials named in office, editors and units on contact lines are not contacts."""
    text = _letter(*lines)
    masked = _assert_kept(text, kept)
    assert "汤丽" not in masked


def test_officials_and_proposers_in_the_body_stay():
    body = "此复函已经县住建局局长倪卫东同志审签，并与陶明远委员当面沟通。"
    text = _letter("联系人：汤丽", body=body)
    _assert_kept(text, "倪卫东", "陶明远")


@pytest.mark.parametrize(
    "number",
    [
        "0551-62781234",
        "0551—62781234",
        "0551 62781234",
        "(0551)62781234",
        "（0551）62781234",
        "055162781234",
        "07306223456",
        "6223456",
        "010-85123456",
        "0531-86123456转8021",
        "0531－86123456",
    ],
)
def test_landlines_in_a_contact_block_naming_a_person(number):
    """A landline with or without area code and separators, on a contact line of a block
    that names a person, is masked with its extension."""
    text = _letter("联系人：汤丽", f"联系电话：{number}")
    assert _found(text).get(number) == "phone"
    masked = _assert_masked(text, number)
    assert "联系电话：已隐去" in masked


def test_landline_before_the_name_in_the_block():
    text = _letter("联系电话：6223456", "联 系 人：汤丽")
    _assert_masked(text, "6223456", "汤丽")


def test_unlabelled_table_row_of_a_contact_block():
    """A row that lost its name label is a contact row; the labelled official stays."""
    text = _letter(
        "主管领导姓名  周建国  联系电话  0871-64123456",
        "刘晓燕  联系电话  0871-64123457",
    )
    masked = _assert_masked(text, "刘晓燕", "0871-64123456", "0871-64123457")
    assert "周建国" in masked


def test_table_rows_under_a_header_of_labels():
    """Rows under a header line of labels are contact rows; the unit column stays."""
    text = _letter(
        "承办单位    联系人    联系电话",
        "县交通运输局    汤丽    0731-82345678",
    )
    masked = _assert_masked(text, "汤丽", "0731-82345678")
    assert "县交通运输局" in masked


def test_a_title_after_the_name_is_masked_with_it_and_the_name_everywhere():
    text = _letter("经办人员：汤丽同志", body="汤丽于6月2日与您电话沟通。")
    masked = _assert_masked(text, "汤丽")
    assert "经办人员：已隐去" in masked


def test_landline_without_a_person_is_the_units_own():
    """A unit's number on a line that names no person is institutional: kept."""
    line = "联系单位及电话：县交通运输局办公室 0731-82345678"
    _assert_kept(_letter(line), line)
    _assert_kept(_letter("联系电话：0731-82345678"), "0731-82345678")
    # With a person in the block, the unit stays and the number is masked.
    text = _letter("联系人：汤丽", "联系单位：县交通运输局办公室 联系电话：0731-82345678")
    masked = _assert_masked(text, "0731-82345678", "汤丽")
    assert "县交通运输局办公室" in masked


def test_landlines_in_running_text_stay():
    body = "群众可拨打0731-82345678或到服务大厅咨询。"
    _assert_kept(_letter(body=body), "0731-82345678")


@pytest.mark.parametrize(
    "line",
    [
        "服务热线：0539-7012345 7012346",
        "监督电话：0539-7012345",
        "举报电话：0539-7012345",
        "值班电话：0539-7012345",
        "传真：0539-7012345",
        "邮编：276000",
        "市民可拨打12345政务服务便民热线反映",
        "服务热线：0539-12345",
    ],
)
def test_hotlines_fax_and_postcodes_stay_even_beside_a_contact(line):
    text = _letter("联系人：汤丽 13512345678", line)
    masked = _assert_kept(text, line)
    assert "汤丽" not in masked


@pytest.mark.parametrize(
    "mobile",
    ["13912345678", "139 1234 5678", "139-1234-5678", "+86 13912345678", "19912345678"],
)
def test_mobile_numbers_anywhere(mobile):
    """A mobile number is masked in running text as well as on a contact line."""
    body = f"如有疑问请致电{mobile}，我们将及时答复。"
    text = _letter(body=body)
    assert _found(text).get(mobile) == "mobile"
    masked = _assert_masked(text, mobile)
    assert "请致电（手机号码已隐去），" in masked


@pytest.mark.parametrize(
    "text",
    [
        "浙公网安备 33010613912345678号",
        "第201813912345678号建议",
        "索引号：000014/2023-13812345678",
        "关于第13912345678号建议的答复",
        "网站标识码1391234567",
    ],
)
def test_mobile_like_windows_inside_longer_numbers_stay(text):
    """Digit boundaries and 索引号 keep mobile-like windows visible."""
    assert find_personal_data(text) == []


@pytest.mark.parametrize(
    "email",
    ["zhangwei@example.gov.cn", "li.na_2019@mail.example.com", "office-3@example.org"],
)
def test_email_addresses_anywhere(email):
    text = _letter(f"电子邮箱：{email}", body=f"材料可发送至{email}。")
    assert _found(text).get(email) == "email"
    _assert_masked(text, email)


def test_fullwidth_email_is_found_at_its_offsets():
    text = "请联系 wangfang＠example.cn 谢谢"
    (span,) = find_personal_data(text)
    assert text[span.start : span.end] == "wangfang＠example.cn"


@pytest.mark.parametrize(
    ("candidate", "valid"),
    [
        ("420106198502142315", True),
        ("37010219681111057X", True),
        ("37010219681111057x", True),
        ("440304199202290611", True),  # 29 February of a leap year
        ("420106198502142316", False),  # check digit wrong
        ("420106198502142310", False),
        ("110105200013011235", False),  # month 13, check digit right
        ("440304199302290619", False),  # 29 February of a common year
        ("530102203501011237", False),  # born in the future
        ("91110108000012109X", False),  # a credit code: check passes, no birth date
    ],
)
def test_id_numbers_need_a_birth_date_and_check_digit(candidate, valid):
    assert is_valid_id_number(candidate) is valid
    text = f"申请人身份证号码为{candidate}，已登记。"
    kinds = [s.kind for s in find_personal_data(text)]
    assert kinds == (["id_number"] if valid else [])
    assert (candidate in mask_text(text)) is not valid


def test_credit_codes_and_index_numbers_stay():
    text = _letter(
        "统一社会信用代码：91110108000012109X",
        "索引号：11370100004512345X/2022-00031",
        "索 引 号 zjj0123/2021-0000168",
    )
    _assert_kept(
        text, "91110108000012109X", "11370100004512345X/2022-00031", "zjj0123/2021-0000168"
    )


@pytest.mark.parametrize(
    "kept",
    [
        "鲁交函〔2023〕15号",
        "教办发[2019]3号",
        "县民发【2024】275号",
        "建议字〔2022〕第8号",
        "第20230105012号建议",
        "(20221398号)",
        "GB 50016—2014",
        "20230518",
        "2023518",
        "202285",
    ],
)
def test_document_numbers_proposal_numbers_and_dates_stay(kept):
    """文号, proposal numbers, standard numbers and bare-digit dates are never personal,
    even inside a contact block."""
    text = _letter("联系人：汤丽 13512345678", kept, body=f"依据{kept}办理。")
    masked = _assert_kept(text, kept)
    assert masked.count(kept) == 2


def test_home_address_and_bank_account():
    text = _letter(
        "家庭住址：某某县城关镇幸福路12号",
        "银行卡号：6222 0212 3456 7890 123",
        body="停车场位于解放路88号，已对外开放。",
    )
    masked = _assert_masked(text, "某某县城关镇幸福路12号", "6222 0212 3456 7890 123")
    assert "解放路88号" in masked
    assert "家庭住址：已隐去" in masked


def test_contact_sentence_in_running_text():
    body = "如需了解详情，可联系我局规划股，联系人：鲁文斌，联系电话：0731-82345678。"
    _assert_masked(_letter(body=body), "鲁文斌", "0731-82345678")


def test_spans_are_exact_offsets_into_the_given_text():
    """Full-width forms and odd spaces do not move offsets."""
    text = _letter("联系人：\u3000林晓东", "联系电话：０５５１－６２７８１２３４")
    found = _found(text)
    assert found == {"林晓东": "contact_name", "０５５１－６２７８１２３４": "phone"}


def test_nothing_to_mask_returns_the_text_unchanged():
    text = _letter(body="一、关于增加停车位。2022年新增停车位3000个，投资1200万元。")
    assert find_personal_data(text) == []
    assert mask_text(text) == text


# ---------------------------------------------------------------------------
# Staff decisions
# ---------------------------------------------------------------------------


def test_staff_can_unmask_a_detected_value_everywhere():
    body = "我局规划股股长鲁文斌于6月2日与您当面沟通。"
    text = _letter("承办人：鲁文斌  联系方式：13712345678", body=body)
    masked = mask_text(text, unmask={"鲁文斌"})
    assert masked.count("鲁文斌") == 2
    assert "13712345678" not in masked


def test_staff_can_mask_an_extra_selection_everywhere():
    text = _letter("分管领导：邱国梁", body="邱国梁同志带队实地调研。")
    masked = mask_text(text, mask=["邱国梁"])
    assert "邱国梁" not in masked
    assert "分管领导：已隐去" in masked


def test_a_string_both_masked_and_unmasked_is_masked():
    text = _letter("联系人：汤丽")
    assert "汤丽" not in mask_text(text, unmask=["汤丽"], mask=["汤丽"])


def test_masking_with_decisions_is_idempotent():
    text = _letter("承办人：鲁文斌  联系方式：13712345678", "分管领导：邱国梁")
    once = mask_text(text, unmask=["鲁文斌"], mask=["邱国梁"])
    assert mask_text(once, unmask=["鲁文斌"], mask=["邱国梁"]) == once
    assert "鲁文斌" in once and "13712345678" not in once and "邱国梁" not in once


def test_decisions_give_sorted_disjoint_spans():
    text = _letter("联系人：汤丽 13512345678")
    spans = apply_decisions(text, find_personal_data(text), mask=["汤丽 135"])
    assert [(s.start, s.end) for s in spans] == sorted({(s.start, s.end) for s in spans})
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert len(spans) == 1 and text[spans[0].start : spans[0].end] == "汤丽 13512345678"


# ---------------------------------------------------------------------------
# Properties and speed
# ---------------------------------------------------------------------------

FRAGMENTS = [
    "联系人：",
    "联 系 人:",
    "承办人及联系电话：",
    "承办负责人：",
    "分管领导：",
    "联系电话：",
    "联系方式:",
    "服务热线：",
    "传真：",
    "家庭住址：",
    "银行卡号：",
    "林晓东",
    "汤丽",
    "孙",
    "县交通运输局",
    "13912345678",
    "139 1234 5678",
    "0551-62781234",
    "(0539) 7012345",
    "6223456",
    "转8021",
    "20230518",
    "420106198502142315",
    "91110108000012109X",
    "wangfang@example.cn",
    "索引号：",
    "鲁交函〔2023〕15号",
    "已隐去",
    "（手机号码已隐去）",
    "主管领导姓名 ",
    "刘晓燕 ",
    "签发人:",
    "电话",
    "请拨打",
    "第",
    "号",
    "(",
    ")",
    "x@y.cn",
    "；",
    "：",
    ":",
    "，",
    "、",
    "。",
    " ",
    "\u3000",
    "\n",
    "\n\n",
]
letters = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=40).map("".join)


@settings(
    max_examples=3_000 if IN_CI else 300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(letters)
def test_masking_properties(text):
    """Spans are in bounds, sorted and disjoint; the masked text grows by at most the
    placeholders; masking again changes nothing and finds nothing."""
    spans = find_personal_data(text)
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    masked = mask_text(text, spans)
    longest = max((len(s.placeholder) for s in spans), default=0)
    assert len(masked) <= len(text) + longest * len(spans)
    assert mask_text(masked) == masked
    assert find_personal_data(masked) == []


@pytest.mark.parametrize(
    "text",
    [
        "1" * 100_000,
        "a" * 100_000,
        "联系人：" * 20_000,
        "联 系" * 30_000,
        ("0551-" * 20_000),
        ("a." * 50_000) + "@",
        "a@" + "b." * 50_000,
        "索引号：" + "1/" * 40_000,
        "张三 " * 30_000,
        "联系电话：0551-62781234 " * 8_000,
        "联系人：林晓东 13912345678 住址：幸福路1号 " * 5_000,
        "".join(
            f"联系人：{chr(0x4E00 + i)}{chr(0x5E00 + i)} 0551-627{i:05d}\n" for i in range(5_000)
        ),
        "索引号：1/2021-01 联系人：林晓东 " * 5_000,
    ],
    ids=[
        "digits",
        "letters",
        "labels",
        "spaced",
        "dashes",
        "dots",
        "domain",
        "index",
        "names",
        "numbers-on-a-line",
        "contacts-on-a-line",
        "distinct-names",
        "protected",
    ],
)
def test_pathological_input_is_linear(text):
    """Long runs that would make a backtracking pattern quadratic finish quickly."""
    started = time.perf_counter()
    mask_text(text)
    # A generous bound: quadratic behaviour on these inputs takes minutes.
    assert time.perf_counter() - started < 5
