"""The letter's fields on shapes the samples do not all show: each family of misses seen on
unseen letters, on letters invented for the test."""

from __future__ import annotations

from datetime import date

import pytest

from replies.parsing import parse_letter

_BODY = [
    "您提出的《关于完善城区公交站点的提案》收悉，现答复如下：",
    "我局已在城区新建公交站点12个。",
    "感谢您对交通工作的关心和支持。",
]


def _with(head: list[str], body: list[str] | None = None, tail: list[str] | None = None) -> str:
    tail = ["某某市交通运输局", "2023年6月30日"] if tail is None else tail
    return "\n".join([*head, *(body or _BODY), *tail])


# ---------------------------------------------------------------------------
# Salutations and proposer lists
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "proposers"),
    [
        (["尊敬的赵明、钱亮、孙强委员："], ("赵明", "钱亮", "孙强")),
        (["尊敬李华代表："], ("李华",)),
        (["王丽委员"], ("王丽",)),  # no colon, the letter follows
        (["孙强、钱亮代表"], ("孙强", "钱亮")),
        (
            ["陈刚、周敏、吴磊、郑伟、冯涛、褚明、卫东、蒋华、沈洁、韩梅、杨帆等11位代表："],
            (
                "陈刚",
                "周敏",
                "吴磊",
                "郑伟",
                "冯涛",
                "褚明",
                "卫东",
                "蒋华",
                "沈洁",
                "韩梅",
                "杨帆",
            ),
        ),
        (["刘洋委员：您好！"], ("刘洋",)),
        (["刘洋委员，您好！"], ("刘洋",)),
        (["致何静代表："], ("何静",)),
        (["赵明，钱亮委员："], ("赵明", "钱亮")),
        (["张小红政协委员："], ("张小红",)),
        (["xxx委员："], ()),  # anonymised
        (["  委员"], ()),  # the name left out
    ],
)
def test_salutation_forms(lines: list[str], proposers: tuple[str, ...]) -> None:
    """Joint lists of any length, 尊敬(的), titles, a missing colon and placeholders."""
    letter = parse_letter(_with(lines))
    assert letter.proposers == proposers
    assert "您提出的" in letter.intro


def test_co_opinion_letter_names_proposers_in_its_first_sentence() -> None:
    """A co-handler's opinion greets the lead unit; the proposers are in the intro, the
    role is co_opinion and the kind other."""
    letter = parse_letter(
        "\n".join(
            [
                "对市十六届人大二次会议第33号建议的协办意见",
                "市住房和城乡建设局：",
                "吴刚、冯丽代表提出的《关于加快老旧小区加装电梯的建议》收悉，现提出协办意见如下：",
                "我局将积极配合做好加装电梯的审批服务工作。",
                "某某市市场监督管理局",
                "2023年6月8日",
            ]
        )
    )
    assert letter.proposers == ("吴刚", "冯丽")
    assert letter.reply_role == "co_opinion"
    assert letter.kind == "other"
    assert letter.as_dict()["reply_role"] == "co_opinion"
    assert parse_letter(_with(["王丽委员："])).reply_role == "answer"
    heard = _with(
        ["王丽委员："],
        ["您提出的提案收悉，在征求协办单位意见的基础上，现答复如下：", *_BODY[1:]],
    )
    assert parse_letter(heard).reply_role == "answer"


# ---------------------------------------------------------------------------
# Proposal numbers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "number"),
    [
        (["关于市政协十二届三次会议第158号提案的答复"], "158"),
        (["关于县十八届人大二次会议第20230215001号建议的答复"], "20230215001"),
        (["关于区政协三届一次会议提案：第21号的答复"], "21"),
        (["关于县政协九届二次会议B类第36提案的答复"], "36"),
        (["关于县人大五届三次会议7号建议的回复"], "7"),
        (["提案号：0123", "关于加强公交管理的提案的答复"], "0123"),
        (["建议编号：D015"], "D015"),
        (["关于县人大九届二次会议建议第15号的答复"], "15"),
        (["自编号：58"], "58"),
        (["某某区政协五届二次会议", "230417", "提案人：王丽"], "230417"),
    ],
)
def test_proposal_number_forms(head: list[str], number: str) -> None:
    """第N号, long database numbers, 提案：第N号, 第N提案, N号 after 会议, metadata labels,
    自编号 and a bare number printed under the session line."""
    assert parse_letter(_with([*head, "王丽委员："])).proposal_number == number


def test_number_in_brackets_after_the_cited_title() -> None:
    """《…》(第15号) / 《…》(20201398号) after the title in the intro."""
    for cited, number in (("（第15号）", "15"), ("（20201398号）", "20201398")):
        body = [f"《关于完善城区公交站点的提案》{cited}收悉。现答复如下：", *_BODY[1:]]
        assert parse_letter(_with(["王丽委员："], body)).proposal_number == number


# ---------------------------------------------------------------------------
# Kind: the body that held the session, then the salutation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (["关于区政协七届三次会议第5号建议的答复", "李华代表："], "proposal"),
        (["关于县十届人大三次会议第5号提案的答复", "李华委员："], "suggestion"),
        (["对某某市第十四届人民代表大会第二次会议第5号建议的答复", "李华委员："], "suggestion"),
        (["关于政协某某县第九届委员会第二次会议第5号建议的复函", "李华代表："], "proposal"),
        (["李华委员："], "proposal"),  # nothing else to go by
        (["李华代表："], "suggestion"),
    ],
)
def test_kind_from_the_session_body_before_the_salutation(head: list[str], kind: str) -> None:
    """政协 / 人大 around the session decide; the salutation only breaks a tie."""
    body = ["您提出的关于完善城区公交站点的建议收悉，现答复如下：", *_BODY[1:]]
    assert parse_letter(_with(head, body)).kind == kind


# ---------------------------------------------------------------------------
# The replying body of an unsigned letter
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "agency"),
    [
        (["发布机构：某某区卫生健康局 字体：[ 大 中 小 ]"], "某某区卫生健康局"),
        (["发文机关：某某市交通运输局 分享到：微信 微博"], "某某市交通运输局"),
        (["发布时间：2023-08-02 来源：某某市水务局 | 打印 | 关闭"], "某某市水务局"),
        (["| 发布机构 | 某某区教育局 |", "| 发布日期 | 2021-09-30 |"], "某某区教育局"),
        (["  • 来源：某某县住房和城乡建设局", "  • 作者："], "某某县住房和城乡建设局"),
        (["主办单位：某某区综合行政执法局", "答复时间：2025-06-13"], "某某区综合行政执法局"),
        (["某某市自然资源局关于市人大十五届四次会议第7号建议的答复"], "某某市自然资源局"),
        (["某某县民政局", "关于对县政协十届三次会议第5号提案的答复"], "某某县民政局"),
        (["发布机构：某某县水利局(某某县河长制办公室)"], "某某县水利局(某某县河长制办公室)"),
    ],
)
def test_unsigned_letter_agency_from_the_page(head: list[str], agency: str) -> None:
    """发布机构, 发文机关, 来源, 主办单位, the title's body or a lone organisation line;
    page widgets (字体, 分享到, pipes) are never part of the value."""
    letter = parse_letter(_with([*head, "王丽委员："], tail=["2023年6月30日"]))
    assert letter.agency == agency


def test_footer_host_is_not_the_agency() -> None:
    """A site footer's 主办单位 after the letter is page chrome, not the replying body."""
    letter = parse_letter(
        _with(
            ["王丽委员："],
            tail=["2023年6月30日", "主办单位：某某市人民政府办公室  技术支持：某某网络公司"],
        )
    )
    assert letter.agency is None


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("20230915", date(2023, 9, 15)),
        ("2023915", date(2023, 9, 15)),
        ("202395", date(2023, 9, 5)),
        ("2021111", None),  # 1 November or 11 January: no guess
        ("2023年9月", None),  # no day
        ("二〇二三年九月", None),
    ],
)
def test_bare_and_dayless_signature_dates(written: str, expected: date | None) -> None:
    """Bare digits are read when only one date fits; a signature without a day gives no
    date, never the page's publication date or today's."""
    letter = parse_letter(
        _with(["发布日期：2023-10-08", "王丽委员："], tail=["某某市交通运输局", written])
    )
    assert letter.reply_date == expected
    assert letter.agency == "某某市交通运输局"


def test_dates_from_metadata_when_unsigned() -> None:
    """答复日期 / 成文日期 in the header stand in for a missing signature date."""
    for label in ("答复日期：2023年3月5日", "成文日期：2023-03-05"):
        letter = parse_letter(_with([label, "发布日期：2023-04-01", "王丽委员："], tail=[]))
        assert letter.reply_date == date(2023, 3, 5)


# ---------------------------------------------------------------------------
# Headings and labels
# ---------------------------------------------------------------------------


def test_headings_whose_quotes_hold_a_full_stop() -> None:
    """A full stop inside the quoted words of a heading does not end the heading."""
    letter = parse_letter(
        _with(
            ["王丽委员："],
            [
                "您提出的《关于完善城区公交站点的提案》收悉，现答复如下：",
                "一、关于“加快站点建设。补齐服务短板”",
                "我局已新建公交站点12个。",
                "二、关于“优化线路。方便出行”。我局已调整公交线路3条。",
                "三、关于“加强管理。”",
                "我局已出台管理办法。",
            ],
        )
    )
    assert [s.heading for s in letter.sections] == [
        "关于“加快站点建设。补齐服务短板”",
        "关于“优化线路。方便出行”",
        "关于“加强管理。”",
    ]


def test_empty_metadata_label_does_not_take_the_next_label() -> None:
    """An empty 文号: followed by another label (same line or next) stays empty."""
    letter = parse_letter(
        _with(
            [
                "索引号：11223344/2023-00012",
                "文号：",
                "发布机构：某某区卫生健康局  主题分类：综合政务",
                "文号：  关键词：公交",
                "王丽委员：",
            ],
            tail=[],
        )
    )
    assert letter.doc_number is None
    assert letter.agency == "某某区卫生健康局"
    assert letter.index_number == "11223344/2023-00012"


def test_a_clause_before_a_sentence_opener_is_not_a_heading() -> None:
    """'经多方协调我局…' opens a sentence; it is no heading run into the prose."""
    letter = parse_letter(
        _with(
            ["王丽委员："],
            [
                "您提出的《关于完善城区公交站点的提案》收悉，现答复如下：",
                "一、经多方协调我局已新建公交站点12个。",
                "二、针对线路问题我局已调整公交线路3条。",
            ],
        )
    )
    assert [s.heading for s in letter.sections] == [None, None]


def test_heading_run_into_the_prose_and_a_lost_numeral() -> None:
    """A heading printed without its full stop ends where a sentence opener begins; a bare
    '、' between 一、 items stands for the lost numeral."""
    letter = parse_letter(
        _with(
            ["王丽委员："],
            [
                "您提出的《关于完善城区公交站点的提案》收悉，现答复如下：",
                "一、加快站点建设截至2022年底，我局已新建公交站点12个。",
                "、优化公交线路。我局已调整公交线路3条。",
            ],
        )
    )
    assert [(s.marker, s.heading) for s in letter.sections] == [
        ("一、", "加快站点建设"),
        ("、", "优化公交线路"),
    ]


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


def test_pages_from_form_feeds_and_from_page_breaks() -> None:
    """Form feeds (or page_breaks offsets) mark pages; pages maps section -> page; plain
    text has none."""
    lines = [
        "王丽委员：",
        "您提出的《关于完善城区公交站点的提案》收悉，现答复如下：",
        "一、关于站点",
        "我局已新建公交站点12个。",
        "二、关于线路",
        "我局已调整公交线路3条。",
        "三、关于管理",
        "我局已出台管理办法。",
        "某某市交通运输局",
        "2023年6月30日",
    ]
    text = "\n".join(lines)
    assert parse_letter(text).pages is None
    assert parse_letter(text).as_dict()["pages"] is None
    paged = "\n".join(lines[:4]) + "\n\f" + "\n".join(lines[4:6]) + "\f\n" + "\n".join(lines[6:])
    letter = parse_letter(paged)
    assert letter.pages == {1: 1, 2: 2, 3: 3}
    assert letter.as_dict()["pages"] == {"1": 1, "2": 2, "3": 3}
    assert [s.heading for s in letter.sections] == ["关于站点", "关于线路", "关于管理"]
    second = text.index("二、")
    assert parse_letter(text, page_breaks=[second]).pages == {1: 1, 2: 2, 3: 2}
