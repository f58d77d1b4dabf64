"""Demo letters for a first run without the sample letters (``manage.py load_demo``).

Four reply letters in the format the parser reads — title, salutation, intro, numbered
sections of what was done and what will be done with quantities and deadlines, closing,
class and signature — composed from the small table below, in the project's own words.
They are dated last year and promise work due this year and next, so the demo shows open,
due and overdue commitments whenever it is run. The benchmarks' generator is not used:
the app never imports ``bench``.

``PROPOSAL_TEXTS`` gives two proposals their own text (案由 and numbered 建议), written
here in our words, each with one suggestion the reply does not answer, so the point-by-
point comparison (逐条答复) has something to flag: the sample seed letter's proposal
(第89号, kept private: it is not that proposal's real text) and the first demo letter's
(made up like the letter, published with the contact line masked).
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from core.numerals import int_to_cn


@dataclass(frozen=True)
class DemoSection:
    heading: str
    done: str
    # What will be done; {year} is the year it is due (this year or next).
    plan: str
    due_next_year: bool = False


@dataclass(frozen=True)
class DemoLetter:
    number: int
    proposers: tuple[str, ...]
    title: str
    department: str
    field: str
    classification: str
    month: int
    day: int
    sections: tuple[DemoSection, ...]


REGION = "示例市"
SESSION = "十五届三次会议"

LETTERS = (
    DemoLetter(
        number=12,
        proposers=("张明远",),
        title="关于加快建设社区嵌入式托育服务点的建议",
        department="卫生健康委员会",
        field="托育服务",
        classification="B",
        month=6,
        day=18,
        sections=(
            DemoSection(
                heading="关于“扩大普惠托育供给”",
                done="去年以来，我们把普惠托育纳入民生实事，新建社区托育服务点12个，"
                "新增托位860个，每千人口托位数达到3.1个。",
                plan="下一步，我们将在新建小区同步配建托育用房，到{year}年底前新增普惠托位1000个",
            ),
            DemoSection(
                heading="关于“加强托育人员培训”",
                done="我们联合人社部门开展保育员培训4期，培训从业人员320人次。",
                plan="今后，我们将建立托育从业人员年度轮训制度，{year}年完成全员培训500人次",
                due_next_year=True,
            ),
            DemoSection(
                heading="关于“完善托育机构监管”",
                done="我们已建立托育机构备案和日常检查制度，实现在营机构检查全覆盖。"
                "同时，公布了投诉电话，接到的问题均已办结。",
                plan="",
            ),
        ),
    ),
    DemoLetter(
        number=27,
        proposers=("李秀兰", "王建国"),
        title="关于推进老旧小区加装电梯的建议",
        department="住房和城乡建设局",
        field="城市更新",
        classification="A",
        month=7,
        day=9,
        sections=(
            DemoSection(
                heading="关于“简化加装电梯审批”",
                done="我们会同规划、市场监管部门推行加装电梯联合审查，审批时限由45个工作日压缩到15个工作日，"
                "去年全市完成加装电梯136台。",
                plan="下一步，我们将推行“一窗受理、并联审批”，到{year}年底前再完成加装电梯200台",
            ),
            DemoSection(
                heading="关于“加大资金支持”",
                done="市财政对每台电梯补助15万元，去年共兑现补助资金2040万元。",
                plan="我们将积极争取中央城镇老旧小区改造资金，{year}年新增改造老旧小区30个",
                due_next_year=True,
            ),
        ),
    ),
    DemoLetter(
        number=45,
        proposers=("陈立新",),
        title="关于提升农村公路养护水平的建议",
        department="交通运输局",
        field="农村公路",
        classification="B",
        month=5,
        day=26,
        sections=(
            DemoSection(
                heading="关于“落实农村公路养护资金”",
                done="去年全市农村公路养护投入1.8亿元，完成路面修复420公里，优良中等路率达到86%。",
                plan="下一步，我们将推动养护资金纳入各县区财政预算，到{year}年底前完成农村公路提档升级300公里",
            ),
            DemoSection(
                heading="关于“完善路长制”",
                done="全市已设立县、乡、村三级路长2300余名，实现农村公路路长全覆盖。",
                plan="今后，我们将开展路长履职考核，{year}年建成农村公路智慧养护平台1个",
                due_next_year=True,
            ),
            DemoSection(
                heading="关于“提升安全设施”",
                done="我们排查了临水临崖、急弯陡坡等危险路段，已完成安全生命防护工程85公里。",
                plan="下一步，我们将继续实施危桥改造，到{year}年底前完成危桥改造25座",
            ),
        ),
    ),
    DemoLetter(
        number=63,
        proposers=("赵丽华",),
        title="关于发展社区居家养老助餐服务的建议",
        department="民政局",
        field="养老服务",
        classification="B",
        month=8,
        day=14,
        sections=(
            DemoSection(
                heading="关于“扩大助餐服务覆盖面”",
                done="去年我们新建社区长者食堂46处，日均服务老年人5200人次。",
                plan="下一步，我们将依托社区综合服务设施布点，到{year}年底前城市社区助餐服务覆盖率达到90%",
            ),
            DemoSection(
                heading="关于“提高服务可持续性”",
                done="我们对长者食堂给予建设补助和运营补贴，并引导餐饮企业参与运营。",
                plan="我们将制定长者食堂运营评估办法，{year}年培育品牌化连锁运营主体10家",
                due_next_year=True,
            ),
        ),
    ),
)


def compose(letter: DemoLetter, *, year: int, session: str = SESSION) -> str:
    """The letter as its department would send it, dated in ``year``; its promises fall
    due in ``year + 1`` and ``year + 2``."""
    lines = [
        f"关于市政协{session}第{letter.number}号提案的答复",
        "",
        f"{'、'.join(letter.proposers)}委员：",
        "",
        f"您提出的《{letter.title}》收悉。感谢您对我市{letter.field}工作的关心和支持。"
        "经认真研究，现答复如下：",
        "",
    ]
    for number, section in enumerate(letter.sections, 1):
        text = section.done
        if section.plan:
            due = year + (2 if section.due_next_year else 1)
            text += section.plan.format(year=due) + "。"
        lines += [f"{int_to_cn(number)}、{section.heading}", "", text, ""]
    lines += [
        f"再次感谢您对{letter.field}工作的关注，欢迎继续提出宝贵意见。",
        "",
        f"办理结果：{letter.classification}类",
        "",
        f"{REGION}{letter.department}",
        f"{year}年{letter.month}月{letter.day}日",
    ]
    return "\n".join(lines)


def demo_letters(today: datetime.date | None = None) -> list[str]:
    """The demo letters, dated last year."""
    today = today or timezone.localdate()
    return [compose(letter, year=today.year - 1) for letter in LETTERS]


@dataclass(frozen=True)
class DemoProposalText:
    committee_prefix: str  # the committee's name starts with it
    term: int
    meeting: int
    number: str
    text: str
    public: bool
    unanswered: tuple[int, ...]  # the suggestions the reply leaves out, by number


PROPOSAL_TEXTS = (
    # The sample seed letter (letters/001.txt) answers five points; the fourth suggestion
    # here (科普 and the climate for innovation) is in no section of it.
    DemoProposalText(
        committee_prefix="临沂",
        term=15,
        meeting=5,
        number="89",
        public=False,
        unanswered=(4,),
        text="""案由：全市研发投入强度仍低于全省平均水平，创新人才、科技型企业、孵化载体和科技金融\
都有明显短板，科技对经济高质量发展的支撑作用没有充分发挥。

建议：
一、稳步增加财政对科技研发的投入。市级财政每年安排的科技经费应保持增长，把分散在各部门的\
科研资金统筹使用，改进科研经费管理方式，让项目负责人对经费使用有更大的自主权。
二、完善人才的引进与培养。针对领军人才、青年科技人才和企业实用人才分别制定培养措施，\
加强与国内外高校院所的交流合作，吸引本地在外人才回乡创业。
三、分层次培育科技型企业。建立从初创企业到高新技术企业、领军企业的梯次培育库，对申报\
高新技术企业的企业提供辅导，帮助企业提升自主创新能力。
四、营造崇尚创新的社会氛围。每年办好科技活动周和科普进校园、进社区活动，表彰奖励作出\
突出贡献的科技工作者，通过新闻媒体宣传创新典型。
五、提高孵化器和众创空间的建设质量。推广投资与孵化相结合的模式，争取更多国家级、省级\
孵化器落户，引导众创空间走专业化道路。
六、拓宽科技企业的融资渠道。推动银行和创投机构联合开展投贷联动，丰富面向科技企业的金融\
和保险产品，支持科技型企业上市融资。
""",
    ),
    # The first demo letter answers supply, training and supervision; the third suggestion
    # (a childcare allowance for families) is not answered.
    DemoProposalText(
        committee_prefix=REGION,
        term=15,
        meeting=3,
        number="12",
        public=True,
        unanswered=(3,),
        text="""案由：婴幼儿照护服务供给不足，家长送托难、送托贵的问题比较突出。

建议如下：
1. 多渠道增加普惠托育服务，新建住宅小区要同步配套建设托育场所。
2. 加强对托育从业人员的职业培训，提高保育人员的专业水平。
3. 对育有三岁以下婴幼儿的家庭发放托育费用补贴，减轻家庭养育负担。
4. 健全托育机构备案和日常检查制度，畅通家长反映问题的渠道。

联系人：张明远，手机13800000000
""",
    ),
)


# A planted repeat (重复提出): a proposal of the next session raises again, in other words,
# the problem of an earlier one that was answered as solved (class A). Both are labelled
# 演示数据 in their titles, so their pages say what they are wherever they are loaded
# (beside the sample letters too). The repeat's page lists the earlier one under
# 此前相关提案 and the admin flags it.
DEMO_LABEL = "（演示数据）"
REPEAT_SESSION = "十五届四次会议"

REPEATED = DemoLetter(
    number=28,
    proposers=("周文博",),
    title=f"关于加快老旧小区电梯加装进度的建议{DEMO_LABEL}",
    department="住房和城乡建设局",
    field="既有住宅加装电梯",
    classification="A",
    month=7,
    day=21,
    sections=(
        DemoSection(
            heading="关于“压缩加装电梯审批时间”",
            done="我们已将加装电梯纳入工程建设项目审批系统，规划、施工许可并联办理，"
            "平均办理时间缩短到12个工作日。",
            plan="",
        ),
        DemoSection(
            heading="关于“落实加装电梯财政补助”",
            done="补助资金已按完工验收进度拨付到位，去年共补助加装电梯98台。",
            plan="",
        ),
    ),
)

REPEAT = DemoLetter(
    number=9,
    proposers=("孙海燕",),
    title=f"关于再次推动老旧小区加装电梯的建议{DEMO_LABEL}",
    department="住房和城乡建设局",
    field="既有住宅加装电梯",
    classification="B",
    month=1,
    day=1,
    sections=(
        DemoSection(
            heading="关于“加装电梯审批提速”",
            done="今年以来，我们梳理了加装电梯审批中的堵点，群众反映的材料多、跑腿多问题仍然存在。",
            plan="下一步，我们将推行加装电梯“一件事”集成办理，到{year}年底前审批时间压减到7个工作日",
        ),
        DemoSection(
            heading="关于“化解低层住户协商难题”",
            done="我们在12个街道试行加装电梯协商议事规则，由社区组织业主协商。",
            plan="我们将出台加装电梯协商指引，{year}年在全市推广协商议事规则",
            due_next_year=True,
        ),
    ),
)


def repeat_letters(today: datetime.date | None = None) -> list[str]:
    """The planted repeat: the earlier letter, dated last year in the demo session, and
    the repeat, of the next session, dated three weeks ago (never in the future)."""
    today = today or timezone.localdate()
    day = today - datetime.timedelta(days=21)
    repeat = DemoLetter(**{**REPEAT.__dict__, "month": day.month, "day": day.day})
    return [
        compose(REPEATED, year=today.year - 1),
        compose(repeat, year=day.year, session=REPEAT_SESSION),
    ]
