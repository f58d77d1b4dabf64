"""Topic keywords and the keyword-count matcher that tags each section."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from .text import words

# Keys are ASCII slugs because they become Topic.slug rows and URL parts later. Keywords
# are deliberately specific: a word such as 企业 or 工作 appears in every section and would
# only add noise to the counts.
DEFAULT_TOPICS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "funding": words("资金 投入 财政 预算 经费 补助 补贴 奖补 拨付 专项资金 资金支持 财政支出"),
        "talent": words("人才 引才 培养 引智 人才队伍 高校毕业生 专家 技能培训 招才 留住"),
        "enterprise": words(
            "企业培育 高新技术企业 科技型企业 创新型企业 中小企业 中小微企业 民营企业 市场主体 "
            "营商环境 专精特新 高企 科技型中小企业 领军企业"
        ),
        "incubator": words(
            "孵化 众创空间 载体 孵化器 加速器 创业园 科技园 创新平台 双创 创业苗圃 孵化园"
        ),
        "finance": words("金融 贷款 融资 投贷 银行 信贷 担保 基金 保险 上市 风险补偿 股权投资"),
        "innovation": words("研发 科研 成果转化 专利 知识产权 技术攻关 科技项目 创新能力"),
        "education": words(
            "教育 学校 学生 教师 幼儿园 小学 中学 课后服务 托管 招生 学位 校园 延时服务"
        ),
        "health": words("医疗 医院 卫生 健康 中医药 医保 疾控 诊所 药品 医生 中医"),
        "social_welfare": words("养老 社保 就业 救助 低保 残疾人 社会保障 困难群众 托育"),
        "transport": words("交通 道路 公路 公交 停车 共享单车 信号灯 出行 客运 桥梁 路网 车辆"),
        "environment": words("环境 生态 污染 垃圾 环保 绿化 排放 空气质量 噪声 垃圾分类 扬尘"),
        "agriculture": words("农业 农村 农民 乡村振兴 种植 养殖 耕地 粮食 林业 古树 名木 村民"),
        "culture_tourism": words("文化 旅游 文旅 景区 博物馆 非遗 文物 乡村旅游 演出 图书馆 展览"),
        "urban_management": words("城市管理 城管 市容 老旧小区 物业 环卫 市政 停放点 城区 违建"),
        "public_security": words("公安 治安 交警 安全隐患 消防 警务 诈骗 安全生产 交通安全"),
        "water": words("水利 饮水 供水 水务 水厂 排水 防汛 河道 水资源 污水 自来水"),
    }
)

# A keyword in the heading says more about the section than one in passing in its text.
HEADING_WEIGHT = 3


class TopicMatcher:
    """Keyword counter compiled once for a topic mapping (a letter has several sections)."""

    def __init__(self, topics: Mapping[str, Sequence[str]]) -> None:
        owners: dict[str, list[str]] = {}
        self._order: dict[str, int] = {}
        for position, (key, keywords) in enumerate(topics.items()):
            self._order[str(key)] = position
            for word in (keywords,) if isinstance(keywords, str) else keywords:
                word = str(word).strip()
                if word and str(key) not in owners.setdefault(word, []):
                    owners[word].append(str(key))
        self._owners = {w: tuple(keys) for w, keys in owners.items()}
        # One alternation, longest first, so a single linear pass counts every topic and
        # the most specific keyword (孵化器 over 孵化) wins where two overlap.
        words = sorted(owners, key=len, reverse=True)
        self._regex = re.compile("|".join(re.escape(w) for w in words)) if words else None

    def match(self, heading: str | None, text: str) -> str | None:
        """The key with the most keyword hits (ties: the key listed first), or None."""
        if self._regex is None:
            return None
        scores: dict[str, int] = {}
        for source, weight in ((heading or "", HEADING_WEIGHT), (text, 1)):
            for m in self._regex.finditer(source):
                for key in self._owners[m.group()]:
                    scores[key] = scores.get(key, 0) + weight
        if not scores:
            return None
        return max(scores, key=lambda k: (scores[k], -self._order.get(k, 0)))


_DEFAULT_MATCHER: TopicMatcher | None = None


def matcher_for(topics: Mapping[str, Sequence[str]] | None) -> TopicMatcher:
    """The matcher for a mapping; the default one is built once per process."""
    global _DEFAULT_MATCHER
    if topics is None or topics is DEFAULT_TOPICS:
        if _DEFAULT_MATCHER is None:
            _DEFAULT_MATCHER = TopicMatcher(DEFAULT_TOPICS)
        return _DEFAULT_MATCHER
    return TopicMatcher(topics)


def match_topic(
    heading: str | None, text: str, topics: Mapping[str, Sequence[str]] | None = None
) -> str | None:
    """The key of the best-matching topic for a section, or None when no keyword occurs.

    Heading hits weigh HEADING_WEIGHT times a hit in the text; ties go to the topic listed
    first, so the order of the mapping is a priority order.
    """
    return matcher_for(topics).match(heading, text)
