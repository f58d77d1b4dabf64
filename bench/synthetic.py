"""Deterministic synthetic proposals and reply letters in the real letter format.

Used by ``generate_data`` (benchmarks at province scale) and the benchmarks. The vocabulary
is composed from morphemes and generated place, person, enterprise, road and project names,
so a large corpus has a long tail of rare terms as a real one does, not a few hundred words
repeated. Letters run to about 1,500–2,000 characters: the page header of a disclosure site
(sometimes), title, salutation, intro, numbered sections mixing what was done with what
will be done, closing, class and signature.

Proposal ``i`` of seed ``s`` is always the same proposal with the same letters, whatever
was composed before it: a run that adds proposals ``n`` to ``m`` to a data set writes
texts of their own, not the first run's again.
"""

import datetime
import random
from dataclasses import dataclass, field

from core.numerals import int_to_cn as to_chinese

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
# County-level regions below each city (generated names, fixed by position so that every
# seed sees the same map of the province).
COUNTY_FIRST = "兰罗河平沂郯莒蒙费临高宁安昌寿诸青莱龙蓬招栖海阳长荣乳文环岱肥新东"
COUNTY_SECOND = "山庄东西阳城州水乐平安南北丘县川"
COUNTY_SUFFIX = ["区", "县", "区", "县", "市"]
COUNTIES_PER_CITY = 5
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞宇浩然欣怡子涵梓轩思雨博晨阳佳琪俊雅婷志远海燕春梅秋菊冬雪振立新德胜永安瑞祥嘉懿凯旋昊天沐晴若曦语嫣铭泽"
PLACE_A = "东西南北青石河山金银黄白龙凤马牛柳桃杏梨松竹云霞新安平和兴隆丰盛福寿双三古卧鹿泉花溪峪"
PLACE_B = "湖桥岭湾庄店集坡沟屯寨营堡岗埠口滩洼泉井台峪埝圩墩"
PLACE_KIND = ["镇", "村", "街道", "社区", "乡"]
ROAD_KIND = ["路", "大街", "大道", "街"]
ENTERPRISE_KIND = ["有限公司", "股份有限公司", "集团有限公司", "合作社", "科技有限公司"]
INDUSTRY = [
    "新材料",
    "生物医药",
    "智能装备",
    "食品",
    "物流",
    "纺织",
    "木业",
    "光电",
    "机械",
    "化工",
    "电子",
    "农业科技",
    "文旅",
    "建材",
    "能源",
    "数据",
    "供应链",
    "家居",
    "石材",
    "陶瓷",
]
# (department, short name used in document numbers, topic key from migration 0003)
DEPARTMENTS = [
    ("科学技术局", "科", "innovation"),
    ("教育局", "教", "education"),
    ("财政局", "财", "funding"),
    ("人力资源和社会保障局", "人社", "talent"),
    ("自然资源和规划局", "自然资源", "urban_management"),
    ("生态环境局", "环", "environment"),
    ("住房和城乡建设局", "建", "urban_management"),
    ("交通运输局", "交", "transport"),
    ("水利局", "水", "water"),
    ("农业农村局", "农", "agriculture"),
    ("商务局", "商", "enterprise"),
    ("文化和旅游局", "文旅", "culture_tourism"),
    ("卫生健康委员会", "卫健", "health"),
    ("应急管理局", "应急", "public_security"),
    ("市场监督管理局", "市监", "enterprise"),
    ("医疗保障局", "医保", "health"),
    ("民政局", "民", "social_welfare"),
    ("公安局", "公", "public_security"),
    ("城市管理局", "城管", "urban_management"),
    ("工业和信息化局", "工信", "enterprise"),
    ("发展和改革委员会", "发改", "funding"),
    ("退役军人事务局", "退役", "social_welfare"),
    ("体育局", "体", "culture_tourism"),
    ("大数据局", "数据", "innovation"),
    ("地方金融监督管理局", "金融", "finance"),
    ("行政审批服务局", "审批", "enterprise"),
]
# What each department's letters mostly talk about: a letter draws four in five of its
# subjects from its own topic, the common ones far more often than the rare ones (a Zipf
# law, as word frequencies in real text follow), so 口袋公园 turns up in a few letters in
# a hundred and 人才 in a great many, as in a real archive.
TOPIC_CORES = {
    "innovation": "孵化器 众创空间 实验室 研发平台 工程技术研究中心 院士工作站 中试基地 知识产权 科技成果转化 高新技术企业 创新券 技术合同 产学研 数据中心 5G基站 工业互联网 人工智能 算力中心 数字孪生 区块链",
    "education": "学前教育 义务教育 职业教育 校外培训 特殊教育 心理健康 课后服务 校园安全 教师队伍 集团化办学 智慧校园 研学基地 校车 食堂 劳动教育 普惠性幼儿园 县域高中 双减 家庭教育 校园足球",
    "funding": "财政资金 专项债券 预算绩效 政府采购 转移支付 产业基金 财政补贴 奖补资金 国有资产 债务管理 以奖代补 资金整合 项目储备 投资评审 政府投资",
    "talent": "高层次人才 技能人才 乡村人才 人才驿站 人才公寓 青年人才 博士后工作站 技能培训 就业见习 创业担保贷款 零工市场 劳务品牌 职称评审 人才服务 返乡创业 高校毕业生",
    "urban_management": "老旧小区 背街小巷 口袋公园 绿道 停车场 公厕 菜市场 物业管理 电梯加装 城市更新 海绵城市 雨污分流 供热管网 燃气管道 地下管网 违法建设 户外广告 渣土车 垃圾分类 城市照明",
    "environment": "大气污染 土壤修复 污水处理 河道治理 扬尘治理 餐饮油烟 噪声污染 固体废物 生态修复 湿地保护 碳排放 秸秆禁烧 黑臭水体 环境监测 排污许可 光伏发电",
    "transport": "农村公路 城乡公交 慢行系统 交通拥堵 公交专用道 客运站 物流通道 充电桩 新能源汽车 共享单车 网约车 道路养护 桥梁加固 交通信号 出租车",
    "water": "河长制 水土保持 饮水安全 高效节水 防汛抗旱 水库除险加固 灌区改造 地下水超采 水系连通 供水管网 水资源 小型水利 水毁修复",
    "agriculture": "高标准农田 种业 农机 设施农业 盐碱地 农产品品牌 冷链 预制菜 家庭农场 农民专业合作社 乡村振兴 和美乡村 农村电商 畜禽养殖 农业保险 土地流转 农村集体经济 耕地保护",
    "enterprise": "营商环境 政务服务 一网通办 信用体系 民营经济 中小企业 专精特新 惠企政策 直播电商 跨境电商 电商物流 招商引资 产业链 园区 市场主体 食品安全 质量提升 标准化 商标品牌",
    "culture_tourism": "全域旅游 夜间经济 文物保护 非遗传承 红色文化 沂蒙精神 古树名木 乡村旅游 图书馆 文化馆 农家书屋 体育公园 全民健身 旅游厕所 景区 民宿",
    "health": "家庭医生 健康档案 中医药 医养结合 基层医疗 县域医共体 急救体系 公共卫生 疾病预防 妇幼保健 医保支付 药品集采 异地就医 长期护理保险 互联网医院 医疗设备",
    "public_security": "安全生产 消防通道 森林防火 地质灾害 应急物资 应急避难场所 危化品 道路交通安全 电动自行车 燃气安全 校园周边 反诈 治安防控 矛盾纠纷",
    "social_welfare": "居家养老 助餐服务 养老机构 托育 残疾人康复 困难群众 低保 临时救助 退役军人服务 优抚 社区服务 社会组织 志愿服务 婚姻登记 殡葬改革 儿童福利",
    "finance": "普惠金融 科技金融 融资担保 知识产权质押 投贷联动 上市培育 转贷 应急转贷 小额贷款 金融风险 农村金融 供应链金融",
}
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
    "集约化",
    "网格化",
    "嵌入式",
    "共享",
    "零碳",
    "适老化",
    "便民",
    "高质量",
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
    "高层次人才",
    "技能人才",
    "乡村人才",
    "人才驿站",
    "研发平台",
    "工程技术研究中心",
    "院士工作站",
    "中试基地",
    "农村公路",
    "城乡公交",
    "慢行系统",
    "学前教育",
    "义务教育",
    "特殊教育",
    "心理健康",
    "医养结合",
    "助餐服务",
    "居家养老",
    "残疾人康复",
    "退役军人服务",
    "河长制",
    "水土保持",
    "饮水安全",
    "高效节水",
    "盐碱地",
    "设施农业",
    "农产品品牌",
    "电商物流",
    "跨境电商",
    "营商环境",
    "政务服务",
    "一网通办",
    "信用体系",
    "文物保护",
    "全域旅游",
    "夜间经济",
    "沂蒙精神",
    "城市更新",
    "物业管理",
    "电梯加装",
    "地下管网",
    "防汛抗旱",
    "森林防火",
    "地质灾害",
    "大气污染",
    "土壤修复",
    "新能源汽车",
    "光伏发电",
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
    "攻坚",
    "示范",
    "扩容",
    "升级",
]
VERBS = [
    "加快",
    "推进",
    "加强",
    "完善",
    "优化",
    "支持",
    "规范",
    "深化",
    "扩大",
    "提高",
    "统筹",
    "健全",
    "强化",
    "创新",
    "落实",
]
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
    ("张", 10, 3000),
    ("座", 1, 40),
]
DONE_TEMPLATES = [
    "近年来，我们高度重视{term}工作，累计投入资金{money}万元，建成{place}{core}{n}{unit}",
    "{year}年，{city}出台了《关于{verb}{term}的实施意见》，明确了{core}{suffix}的目标任务和责任分工",
    "截至{year}年底，全市{core}覆盖率达到{pct}%，{place}等{n}个镇街已实现全覆盖",
    "我们联合{dept}等部门开展了{term}专项行动，共排查问题{n}个，已整改{m}个，整改率达到{pct}%",
    "{place}{core}项目已于{year}年{month}月建成投用，惠及群众{people}余人",
    "{enterprise}投资{money}万元建设的{core}{suffix}项目已竣工，年可新增产值{money2}万元",
    "我们在{road}沿线试点推行{term}，群众满意度由{pct2}%提升到{pct}%",
    "依托{enterprise}等骨干企业，组建了{core}产业联盟，吸纳成员单位{m}家",
    "{year}年共争取中央和省级{core}专项资金{money}万元，全部用于{place}等地{term}",
    "编制印发了《{city}{term}三年行动方案（{year}—{year2}年）》，建立了{core}工作台账",
    "组织{core}业务培训{n}期，培训基层工作人员{people}人次",
    "{person}同志牵头成立了{core}工作专班，实行周调度、月通报制度",
]
ONGOING_TEMPLATES = [
    "目前，我们正在组织编制{term}规划，{core}{suffix}工作正稳步推进",
    "今年以来，{place}{core}{suffix}项目正在加快建设，预计年内完工",
    "目前，{road}{core}改造工程已完成总工程量的{pct}%，正在进行管线迁改",
    "我们正会同{dept}研究制定{term}扶持政策，已形成征求意见稿",
]
PLAN_TEMPLATES = [
    "下一步，我们将{verb}{term}，力争到{due_year}年新增{core}{n}{unit}",
    "下一步，我们将按照您的建议，{verb}{core}{suffix}，计划{due_year}年底前完成{place}{core}改造{n}{unit}",
    "我们将积极争取上级资金支持，{verb}{term}，力争年内建成{core}{n}{unit}",
    "今后，我们将进一步{verb}{term}，到“十五五”末{core}达到{n}{unit}以上",
    "{due_year}年，我们将在{place}启动{term}试点，新建{core}{n}{unit}",
]
EXTRA_PLAN_SENTENCES = [
    "同时，加强与{dept}的沟通协作，形成工作合力",
    "建立健全{core}长效管理机制，确保建得成、管得好、用得上",
    "及时总结推广{place}的经验做法，以点带面推动全市{term}",
    "加大宣传引导力度，营造全社会共同参与{core}{suffix}的良好氛围",
]
INTRO_TEMPLATES = [
    "您提出的“{title}”收悉。非常感谢您对我市{core}工作的关心和支持。经研究，现答复如下：",
    "您在{body}{session}期间提出的“{title}”收悉。您的建议对我市{core}{suffix}具有重要的参考价值，我们高度重视，认真研究办理。现将有关情况答复如下：",
    "您提出的关于{title_short}的{noun}收悉，经认真研究并征求{dept}意见，现答复如下：",
]
CLOSING_TEMPLATES = [
    "感谢您对我市{core}工作的关心和支持！欢迎您继续提出宝贵的建议和意见。",
    "再次感谢您对{core}{suffix}工作的关注，希望继续关心支持我们的工作。",
    "衷心感谢您对我市{core}工作的关心和支持，恳请继续提出宝贵意见。",
]
UPDATE_NOTES = {
    "in_progress": [
        "按计划推进，已完成阶段性任务。",
        "项目已开工建设，完成投资约{pct}%。",
        "已完成方案编制，正在组织实施。",
        "已纳入年度重点工作，正在推进。",
    ],
    "fulfilled": ["已全部完成。", "已完成并通过验收。", "目标任务已全部完成，群众反映良好。"],
    "partial": ["部分完成，剩余任务受资金影响顺延。", "已完成主要指标，个别项目仍在建设。"],
    "not_fulfilled": ["受用地指标限制，未能按期完成。", "因上级政策调整，暂缓实施。"],
}


def chinese_date(day: datetime.date) -> str:
    digits = "〇一二三四五六七八九"
    year = "".join(digits[int(d)] for d in str(day.year))
    return f"{year}年{to_chinese(day.month)}月{to_chinese(day.day)}日"


def counties(city_index: int) -> list[str]:
    """The county-level regions of a city: stable names, unique across the province."""
    names = []
    for k in range(COUNTIES_PER_CITY):
        first = COUNTY_FIRST[(city_index * 7 + k * 3) % len(COUNTY_FIRST)]
        second = COUNTY_SECOND[(city_index * 5 + k * 11) % len(COUNTY_SECOND)]
        suffix = COUNTY_SUFFIX[k % len(COUNTY_SUFFIX)]
        names.append(CITIES[city_index] + first + second + suffix)
    return names


REGIONS = [region for i, city in enumerate(CITIES) for region in (city, *counties(i))]


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
    index_number: str
    classification: str
    sections: list[SyntheticSection] = field(default_factory=list)


@dataclass
class SyntheticProposal:
    city: str
    region: str
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
        self.seed = seed
        self.random = random.Random(seed)
        self.topic = ""
        self.subjects: list[str] = []

    def person(self) -> str:
        r = self.random
        given = r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.7 else "")
        return r.choice(SURNAMES) + given

    def place(self) -> str:
        r = self.random
        return r.choice(PLACE_A) + r.choice(PLACE_B) + r.choice(PLACE_KIND)

    def road(self) -> str:
        r = self.random
        return r.choice(PLACE_A) + r.choice(PLACE_A + PLACE_B) + r.choice(ROAD_KIND)

    def enterprise(self, city: str) -> str:
        r = self.random
        brand = r.choice(PLACE_A) + r.choice(GIVEN) + r.choice(GIVEN)
        return f"{city[:2]}{brand}{r.choice(INDUSTRY)}{r.choice(ENTERPRISE_KIND)}"

    def core(self) -> str:
        """A subject: mostly the section's own (a section dwells on one or two), else one
        from the letter's topic, common ones more often, now and then any at all."""
        r = self.random
        draw = r.random()
        if self.subjects and draw < 0.85:
            return r.choice(self.subjects)
        if draw < 0.97 and self.topic in _TOPIC_WEIGHTS:
            cores, weights = _TOPIC_WEIGHTS[self.topic]
            return r.choices(cores, cum_weights=weights)[0]
        return r.choice(_ALL_CORES)

    def term(self) -> str:
        r = self.random
        return r.choice(PREFIXES) + self.core() + r.choice(SUFFIXES)

    def fill(self, template: str, city: str, year: int, due_year: int) -> tuple[str, tuple]:
        r = self.random
        unit, low, high = r.choice(UNITS)
        n = r.randint(low, high)
        values = {"n": n, "unit": unit, "city": city, "due_year": due_year}
        # Only what the template uses is drawn, so the text stays varied and fast to write.
        for name in _FIELDS[template]:
            if name in values:
                continue
            if name == "term":
                values[name] = self.term()
            elif name == "core":
                values[name] = self.core()
            elif name == "suffix":
                values[name] = r.choice(SUFFIXES)
            elif name == "verb":
                values[name] = r.choice(VERBS)
            elif name == "place":
                values[name] = self.place()
            elif name == "road":
                values[name] = self.road()
            elif name == "enterprise":
                values[name] = self.enterprise(city)
            elif name == "person":
                values[name] = self.person()
            elif name == "year":
                values[name] = year - r.randint(0, 3)
            elif name == "year2":
                values[name] = values.setdefault("year", year - r.randint(0, 3)) + 2
            elif name == "month":
                values[name] = r.randint(1, 12)
            elif name in ("money", "money2"):
                values[name] = r.randint(50, 90000)
            elif name == "m":
                values[name] = max(1, n - r.randint(0, n))
            elif name in ("pct", "pct2"):
                values[name] = r.randint(40, 99)
            elif name == "people":
                values[name] = r.randint(2, 900) * 100
            elif name == "dept":
                values[name] = city + r.choice(DEPARTMENTS)[0]
        if "pct2" in values and "pct" in values and values["pct2"] >= values["pct"]:
            values["pct2"] = values["pct"] // 2
        return template.format(**values), (n, unit)

    def section(
        self, number: int, city: str, letter_date: datetime.date, plan_bias: float
    ) -> SyntheticSection:
        r = self.random
        year = letter_date.year
        self.subjects = []
        self.subjects = [self.core() for _ in range(r.randint(1, 2))]
        heading = f"关于“{r.choice(VERBS)}{self.term()}”"
        done = [
            self.fill(r.choice(DONE_TEMPLATES), city, year, year + 1)[0]
            for _ in range(r.randint(3, 6))
        ]
        paragraphs = ["；".join(done[:2]) + "。" + "。".join(done[2:]) + "。"]
        ongoing = r.random() < 0.35
        if ongoing:
            paragraphs[0] += self.fill(r.choice(ONGOING_TEMPLATES), city, year, year)[0] + "。"
        targets = []
        due_on = None
        if r.random() < plan_bias:
            due_year = year + r.randint(0, 4)
            text, (n, unit) = self.fill(r.choice(PLAN_TEMPLATES), city, year, due_year)
            extra = self.fill(r.choice(EXTRA_PLAN_SENTENCES), city, year, due_year)[0]
            paragraphs.append(f"{text}。{extra}。")
            due_on = datetime.date(due_year, 12, 31)
            targets.append((text.split("，")[-1][:60], n, unit, due_on))
        status = "in_progress" if ongoing else ("not_started" if targets else "fulfilled")
        body = "\n\n".join(paragraphs)
        return SyntheticSection(number, heading, f"{heading}\n\n{body}", targets, due_on, status)

    def letter(
        self, proposal: "SyntheticProposal", department: str, role: str, letter_date: datetime.date
    ) -> SyntheticReply:
        r = self.random
        city = proposal.city
        body_kind = "政协" if proposal.committee_kind == "cppcc" else "人大"
        noun = "提案" if proposal.kind == "proposal" else "建议"
        session = f"{to_chinese(proposal.term)}届{to_chinese(proposal.meeting)}次会议"
        level = "市" if proposal.region == city else proposal.region[-1]
        title = (
            f"对{level}{body_kind}{session}第{proposal.number}号{noun}《{proposal.title}》答复的函"
        )
        agency = f"{proposal.region}{department}"
        # Each department answers from its own field.
        self.topic = next((t for name, _s, t in DEPARTMENTS if name == department), "")
        self.subjects = []
        sections = [
            self.section(i, city, letter_date, 0.85 if role == "answer" else 0.6)
            for i in range(1, r.randint(5, 7) + 1 if role == "answer" else r.randint(3, 5) + 1)
        ]
        salutation = "、".join(proposal.proposers) + ("委员" if body_kind == "政协" else "代表")
        short = next((s for name, s, _t in DEPARTMENTS if name == department), "政")
        doc_number = f"{proposal.region[:1]}{short}函〔{letter_date.year}〕{r.randint(1, 300)}号"
        index_number = f"{r.randint(10**9, 10**10 - 1)}/{letter_date.year}-{r.randint(1, 9999):07d}"
        classification = r.choice("AABBBC")
        lines = []
        if r.random() < 0.4:
            # The page header of a government disclosure site, as letters are published.
            lines += [
                f" 索 引 号  {index_number}  发布机构  {agency}",
                f" 文  号  {doc_number}  公开日期  {letter_date.isoformat()}",
                f" 信息名称  {title}",
                "",
            ]
        lines += [title, ""]
        if r.random() < 0.5:
            lines += [doc_number, ""]
        lines += [f"{salutation}：", ""]
        intro = r.choice(INTRO_TEMPLATES).format(
            title=proposal.title,
            title_short=proposal.title[2:-3],
            core=self.core(),
            suffix=r.choice(SUFFIXES),
            body=body_kind,
            session=session,
            noun=noun,
            dept=f"{city}{r.choice(DEPARTMENTS)[0]}",
        )
        lines += [intro, ""]
        for section in sections:
            lines += [f"{to_chinese(section.number)}、{section.text}", ""]
        closing = r.choice(CLOSING_TEMPLATES).format(core=self.core(), suffix=r.choice(SUFFIXES))
        lines += [closing, "", f"办理结果：{classification}类", ""]
        if r.random() < 0.5:
            lines += [f"联系人：{self.person()}  联系电话：0539-{r.randint(1000000, 9999999)}", ""]
        lines += [
            agency,
            chinese_date(letter_date)
            if r.random() < 0.3
            else f"{letter_date.year}年{letter_date.month}月{letter_date.day}日",
        ]
        return SyntheticReply(
            department=agency,
            role=role,
            body="\n".join(lines),
            title=title,
            letter_date=letter_date,
            doc_number=doc_number,
            index_number=index_number,
            classification=classification,
            sections=sections,
        )

    def proposal(self, index: int, topic_keys: list[str]) -> SyntheticProposal:
        """Proposal ``index`` with its answer and a co-handler's letter; what is drawn
        after it (``history``, the caller's own choices) follows from the same seed."""
        r = self.random
        r.seed(f"{self.seed}/{index}")
        city_index = r.randrange(len(CITIES))
        city = CITIES[city_index]
        region = city if r.random() < 0.45 else r.choice(counties(city_index))
        committee_kind = "cppcc" if r.random() < 0.7 else "congress"
        year = r.randint(2017, 2026)
        term = 13 + (year - 2017) // 5 if committee_kind == "cppcc" else 17 + (year - 2017) // 5
        meeting = (year - 2017) % 5 + 1
        kind = "proposal" if committee_kind == "cppcc" else "suggestion"
        lead, co = r.sample(range(len(DEPARTMENTS)), 2)
        self.topic, self.subjects = DEPARTMENTS[lead][2], []
        place = self.place() if r.random() < 0.4 else ""
        title = (
            f"关于{r.choice(VERBS)}{place}{self.term()}的{'提案' if r.random() < 0.3 else '建议'}"
        )
        proposers = [self.person() for _ in range(1 if r.random() < 0.8 else r.randint(2, 4))]
        number = str(index + 1) if r.random() < 0.9 else f"D{index + 1:03d}"
        topics = [DEPARTMENTS[lead][2]]
        if r.random() < 0.3:
            topics.append(DEPARTMENTS[co][2])
        proposal = SyntheticProposal(
            city=city,
            region=region,
            committee_kind=committee_kind,
            term=term,
            meeting=meeting,
            year=year,
            number=number,
            kind=kind,
            title=title,
            proposers=proposers,
            topic_keys=[key for key in dict.fromkeys(topics) if key in topic_keys],
            replies=[],
        )
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

    def history(
        self, status: str, letter_date: datetime.date, due_on: datetime.date | None, today
    ) -> tuple[str, list[tuple[datetime.date, str, str]]]:
        """A commitment's update history: (final status, [(date, status, note)])."""
        r = self.random
        if status == "fulfilled":
            return status, []
        steps = []
        day = letter_date
        final = status
        if status == "in_progress" or due_on is None or r.random() < 0.6:
            final = "in_progress"
        for _ in range(r.randint(1, 3)):
            day += datetime.timedelta(days=r.randint(45, 150))
            if day > today:
                break
            steps.append((day, "in_progress", r.choice(UPDATE_NOTES["in_progress"])))
        if due_on is not None and due_on < today and steps:
            final = r.choice(["fulfilled", "fulfilled", "fulfilled", "partial", "not_fulfilled"])
            if r.random() < 0.15:
                final = "in_progress"  # overdue: due date passed, not fulfilled
            if final != "in_progress":
                day = min(today, due_on + datetime.timedelta(days=r.randint(-60, 20)))
                steps.append((max(day, steps[-1][0]), final, r.choice(UPDATE_NOTES[final])))
        if not steps:
            final = "not_started" if status == "not_started" else final
            if final == "in_progress" and status == "not_started":
                final = "not_started"
        notes = [(d, s, n.replace("{pct}", str(r.randint(20, 90)))) for d, s, n in steps]
        return (notes[-1][1] if notes else final), notes


def _template_fields(template: str) -> tuple[str, ...]:
    import string

    return tuple(
        dict.fromkeys(
            name for _lit, name, _spec, _conv in string.Formatter().parse(template) if name
        )
    )


_FIELDS = {
    template: _template_fields(template)
    for template in (
        *DONE_TEMPLATES,
        *ONGOING_TEMPLATES,
        *PLAN_TEMPLATES,
        *EXTRA_PLAN_SENTENCES,
    )
}


def _zipf(words: list[str]) -> tuple[list[str], list[float]]:
    """Words with cumulative weights 1/rank: the first is the commonest."""
    total, cumulative = 0.0, []
    for rank in range(1, len(words) + 1):
        total += 1 / rank
        cumulative.append(total)
    return words, cumulative


_TOPIC_WEIGHTS = {topic: _zipf(cores.split()) for topic, cores in TOPIC_CORES.items()}
_ALL_CORES = list(dict.fromkeys([*CORES, *" ".join(TOPIC_CORES.values()).split()]))
