"""Deterministic synthetic proposals and reply letters in the real letter format.

Used by ``generate_data`` (benchmarks at province scale) and by the demo when the sample
letters are absent. The vocabulary is composed from morphemes and generated place and
person names, so a large corpus has a long tail of rare terms as a real one does, not a
few hundred words repeated.
"""

import datetime
import random
from dataclasses import dataclass, field

from proposals.numerals import to_chinese

CITIES = [
    "临沂市",
    "济宁市",
    "潍坊市",
    "烟台市",
    "淄博市",
    "德州市",
    "聊城市",
    "滨州市",
    "菏泽市",
    "枣庄市",
    "日照市",
    "泰安市",
    "威海市",
    "东营市",
    "青岛市",
    "济南市",
]
COUNTY_SUFFIX = ["县", "区", "市"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞宇浩然欣怡子涵梓轩思雨博文晨阳佳琪俊杰雅婷志远海燕春梅秋菊冬雪振华立新德胜永安瑞祥"
PLACE_A = "东西南北青石河山金银黄白龙凤马牛柳桃杏梨松竹云霞新安平和兴隆丰盛福寿"
PLACE_B = "湖桥岭湾庄店集坡沟屯寨营堡岗埠口滩洼泉井台"
DEPARTMENTS = [
    ("科学技术局", "科技"),
    ("教育局", "教育"),
    ("财政局", "财政"),
    ("人力资源和社会保障局", "人社"),
    ("自然资源和规划局", "自然资源"),
    ("生态环境局", "生态环境"),
    ("住房和城乡建设局", "住建"),
    ("交通运输局", "交通"),
    ("水利局", "水利"),
    ("农业农村局", "农业农村"),
    ("商务局", "商务"),
    ("文化和旅游局", "文旅"),
    ("卫生健康委员会", "卫健"),
    ("应急管理局", "应急"),
    ("市场监督管理局", "市场监管"),
    ("医疗保障局", "医保"),
    ("民政局", "民政"),
    ("公安局", "公安"),
    ("城市管理局", "城管"),
    ("工业和信息化局", "工信"),
    ("发展和改革委员会", "发改"),
    ("退役军人事务局", "退役军人"),
    ("体育局", "体育"),
    ("大数据局", "大数据"),
]
PREFIXES = [
    "智慧",
    "绿色",
    "数字",
    "乡村",
    "城乡",
    "高标准",
    "现代",
    "特色",
    "社区",
    "县域",
    "全域",
    "低碳",
    "普惠",
    "标准化",
    "精细化",
    "一体化",
    "专业化",
    "规模化",
    "品牌化",
    "公益性",
    "示范性",
    "应急",
]
CORES = [
    "农田",
    "园区",
    "物流",
    "养老",
    "托育",
    "医疗",
    "教育",
    "交通",
    "旅游",
    "产业",
    "水利",
    "电网",
    "充电桩",
    "停车场",
    "菜市场",
    "公厕",
    "口袋公园",
    "绿道",
    "污水处理",
    "垃圾分类",
    "校外培训",
    "职业教育",
    "中医药",
    "健康档案",
    "家庭医生",
    "冷链",
    "直播电商",
    "预制菜",
    "种业",
    "农机",
    "人才公寓",
    "创业园",
    "孵化器",
    "众创空间",
    "实验室",
    "知识产权",
    "科技金融",
    "普惠金融",
    "古树名木",
    "非遗传承",
    "红色文化",
    "体育公园",
    "全民健身",
    "食品安全",
    "安全生产",
    "消防通道",
    "老旧小区",
    "背街小巷",
    "雨污分流",
    "海绵城市",
    "供热管网",
    "燃气管道",
    "5G基站",
    "数据中心",
]
SUFFIXES = [
    "建设",
    "改造",
    "提升",
    "服务",
    "体系",
    "机制",
    "平台",
    "工程",
    "行动",
    "试点",
    "保障",
    "监管",
    "布局",
    "配套",
    "运营",
    "管理",
    "发展",
    "融合",
    "培育",
    "整治",
]
VERBS = ["加快", "推进", "加强", "完善", "优化", "支持", "规范", "深化", "扩大", "提高"]
UNITS = [
    ("家", 1, 60),
    ("个", 1, 200),
    ("所", 1, 30),
    ("公里", 1, 300),
    ("万元", 10, 5000),
    ("亿元", 1, 50),
    ("万平方米", 1, 400),
    ("人", 50, 5000),
    ("项", 1, 120),
    ("处", 1, 80),
]
DONE_TEMPLATES = [
    "近年来，我们高度重视{term}工作，累计投入资金{money}万元，建成{place}{core}{n}{unit}",
    "{year}年，{city}出台了《关于{verb}{term}的实施意见》，明确了{core}{suffix}的目标任务",
    "截至{year}年底，全市{core}覆盖率达到{pct}%，{place}等{n}个镇街已实现全覆盖",
    "我们联合{dept}等部门开展了{term}专项行动，共排查问题{n}个，已整改{m}个",
    "{place}{core}项目已于{year}年{month}月建成投用，惠及群众{people}余人",
]
ONGOING_TEMPLATES = [
    "目前，我们正在组织编制{term}规划，{core}{suffix}工作正稳步推进",
    "今年以来，{place}{core}{suffix}项目正在加快建设，预计年内完工",
]
PLAN_TEMPLATES = [
    "下一步，我们将{verb}{term}，力争到{due_year}年新增{core}{n}{unit}",
    "下一步，我们将按照您的建议，{verb}{core}{suffix}，计划{due_year}年底前完成{place}{core}改造{n}{unit}",
    "我们将积极争取上级资金支持，{verb}{term}，力争年内建成{core}{n}{unit}",
    "今后，我们将进一步{verb}{term}，到“十四五”末{core}达到{n}{unit}以上",
]


def chinese_date(day: datetime.date) -> str:
    digits = "〇一二三四五六七八九"
    year = "".join(digits[int(d)] for d in str(day.year))
    return f"{year}年{to_chinese(day.month)}月{to_chinese(day.day)}日"


@dataclass
class SyntheticSection:
    number: int
    heading: str
    text: str
    targets: list[tuple[str, int, str, datetime.date]]
    due_on: datetime.date | None
    status: str


@dataclass
class SyntheticReply:
    department: str
    role: str
    body: str
    title: str
    letter_date: datetime.date
    doc_number: str
    classification: str
    sections: list[SyntheticSection] = field(default_factory=list)


@dataclass
class SyntheticProposal:
    city: str
    committee_kind: str
    term: int
    meeting: int
    year: int
    number: str
    kind: str
    title: str
    proposers: list[str]
    topic_keys: list[str]
    replies: list[SyntheticReply]


class Composer:
    """Writes proposals and their reply letters from a seeded random generator."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def person(self) -> str:
        r = self.random
        given = r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.7 else "")
        return r.choice(SURNAMES) + given

    def place(self) -> str:
        r = self.random
        return r.choice(PLACE_A) + r.choice(PLACE_B) + r.choice(["镇", "村", "街道", "社区"])

    def term(self) -> str:
        r = self.random
        return r.choice(PREFIXES) + r.choice(CORES) + r.choice(SUFFIXES)

    def fill(self, template: str, city: str, year: int, due_year: int, department: str) -> str:
        r = self.random
        unit, low, high = r.choice(UNITS)
        n = r.randint(low, high)
        return template.format(
            term=self.term(),
            core=r.choice(CORES),
            suffix=r.choice(SUFFIXES),
            verb=r.choice(VERBS),
            place=self.place(),
            city=city,
            year=year - r.randint(0, 3),
            due_year=due_year,
            month=r.randint(1, 12),
            money=r.randint(50, 90000),
            n=n,
            m=max(1, n - r.randint(0, n)),
            unit=unit,
            pct=r.randint(40, 99),
            people=r.randint(2, 900) * 100,
            dept=r.choice(DEPARTMENTS)[0],
        ), (n, unit)

    def section(
        self, number: int, city: str, letter_date: datetime.date, department: str
    ) -> SyntheticSection:
        r = self.random
        heading_term = self.term()
        heading = f"关于“{r.choice(VERBS)}{heading_term}”"
        sentences: list[str] = []
        for _ in range(r.randint(3, 7)):
            text, _target = self.fill(
                r.choice(DONE_TEMPLATES), city, letter_date.year, letter_date.year + 1, department
            )
            sentences.append(text)
        has_plan = r.random() < 0.8
        ongoing = r.random() < 0.3
        if ongoing:
            text, _target = self.fill(
                r.choice(ONGOING_TEMPLATES), city, letter_date.year, letter_date.year, department
            )
            sentences.append(text)
        targets = []
        due_on = None
        if has_plan:
            due_year = letter_date.year + r.randint(0, 4)
            text, (n, unit) = self.fill(
                r.choice(PLAN_TEMPLATES), city, letter_date.year, due_year, department
            )
            sentences.append(text)
            due_on = datetime.date(due_year, 12, 31)
            targets.append((text.split("，")[-1][:60], n, unit, due_on))
        status = (
            "in_progress"
            if ongoing or (has_plan and r.random() < 0.5)
            else ("not_started" if has_plan else "fulfilled")
        )
        body = "。".join(sentences) + "。"
        return SyntheticSection(number, heading, f"{heading}\n\n{body}", targets, due_on, status)

    def letter(
        self, proposal: "SyntheticProposal", department: str, role: str, letter_date: datetime.date
    ) -> SyntheticReply:
        r = self.random
        city = proposal.city
        body_kind = "政协" if proposal.committee_kind == "cppcc" else "人大"
        noun = "提案" if proposal.kind == "proposal" else "建议"
        session = f"{to_chinese(proposal.term)}届{to_chinese(proposal.meeting)}次会议"
        title = f"对{city[-1]}{body_kind}{session}第{proposal.number}号{noun}《{proposal.title}》答复的函"
        sections = [
            self.section(i, city, letter_date, department) for i in range(1, r.randint(4, 7))
        ]
        salutation = "、".join(proposal.proposers) + ("委员" if body_kind == "政协" else "代表")
        short = dict(DEPARTMENTS).get(department, "政")
        doc_number = f"{city[:2]}{short[:2]}函〔{letter_date.year}〕{r.randint(1, 300)}号"
        classification = r.choice("AABBBC")
        lines = [
            title,
            "",
            f"{salutation}:",
            "",
            f"您提出的“{proposal.title}”收悉。非常感谢您对我市{r.choice(CORES)}工作的关心和支持。经研究,现答复如下:",
            "",
        ]
        for section in sections:
            lines += [f"{to_chinese(section.number)}、{section.text}", ""]
        lines += [
            f"感谢您对我市{r.choice(CORES)}工作的关心和支持!欢迎您继续提出宝贵的建议和意见。",
            "",
            f"办理结果:{classification}",
            "",
            f"{city}{department}",
            chinese_date(letter_date)
            if r.random() < 0.3
            else f"{letter_date.year}年{letter_date.month}月{letter_date.day}日",
        ]
        return SyntheticReply(
            department=f"{city}{department}",
            role=role,
            body="\n".join(lines),
            title=title,
            letter_date=letter_date,
            doc_number=doc_number,
            classification=classification,
            sections=sections,
        )

    def proposal(self, index: int, topic_keys: list[str]) -> SyntheticProposal:
        r = self.random
        city = r.choice(CITIES)
        committee_kind = "cppcc" if r.random() < 0.7 else "congress"
        year = r.randint(2016, 2025)
        term = 14 + (year - 2016) // 5 if committee_kind == "cppcc" else 17 + (year - 2016) // 5
        meeting = (year - 2016) % 5 + 1
        kind = "proposal" if committee_kind == "cppcc" else "suggestion"
        title = f"关于{r.choice(VERBS)}{self.place()}{self.term()}的{'提案' if r.random() < 0.3 else '建议'}"
        proposers = [self.person() for _ in range(1 if r.random() < 0.8 else r.randint(2, 4))]
        number = str(index + 1) if r.random() < 0.9 else f"D{index + 1:03d}"
        proposal = SyntheticProposal(
            city=city,
            committee_kind=committee_kind,
            term=term,
            meeting=meeting,
            year=year,
            number=number,
            kind=kind,
            title=title,
            proposers=proposers,
            topic_keys=r.sample(topic_keys, k=min(len(topic_keys), r.randint(1, 2))),
            replies=[],
        )
        lead, co = r.sample(range(len(DEPARTMENTS)), 2)
        letter_date = datetime.date(year, r.randint(5, 9), r.randint(1, 28))
        proposal.replies.append(self.letter(proposal, DEPARTMENTS[lead][0], "answer", letter_date))
        proposal.replies.append(
            self.letter(
                proposal,
                DEPARTMENTS[co][0],
                "co_opinion",
                letter_date - datetime.timedelta(days=r.randint(5, 30)),
            )
        )
        return proposal
