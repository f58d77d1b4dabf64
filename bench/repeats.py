"""Precision and recall of the repeat detection (``proposals.repeats``) on generated
proposals: `python bench/run.py repeats` (part of `make bench`).

Each committee gets proposals on subjects drawn from a table of fields; a subject is
raised again in a later session in other words (another phrasing of the subject, other
genre words, other suggestions in another order), and unrelated proposals of the same
field share its field word (农村, 学校) so that a word in common is not enough. Some
subjects come back in the same session (not a repeat: same session) or in another
committee (not a repeat: another committee). Pure functions, no database: seconds.
"""

import random
import time
from dataclasses import dataclass

from proposals.repeats import MIN_SHARED_TOKENS, fingerprint, is_earlier, is_repeat, session_key

# field → subjects; each subject: phrasings of its title's subject, and its suggestions.
FIELDS: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "农村": [
        (
            ("农村饮用水安全保障", "农村饮水安全", "乡村供水安全保障"),
            ("水源地保护", "供水管网改造", "水质检测", "运维经费保障"),
        ),
        (
            ("农村公路养护", "乡村道路管护", "农村公路日常养护"),
            ("养护资金", "路长制", "危桥改造", "安全设施"),
        ),
        (
            ("农村电商物流体系", "乡村快递物流网络", "农村寄递物流"),
            ("村级快递站点", "冷链仓储", "农产品上行", "物流补贴"),
        ),
        (
            ("农村生活垃圾分类处理", "乡村垃圾分类", "农村生活垃圾治理"),
            ("收运体系", "分类投放", "保洁队伍", "资源化利用"),
        ),
    ],
    "学校": [
        (
            ("中小学课后延时服务", "中小学课后服务", "学校课后托管服务"),
            ("教师补助", "课程内容", "场地安全", "家长自愿"),
        ),
        (
            ("校园周边交通安全", "学校周边道路交通安全", "校园门口交通秩序"),
            ("接送车辆停放", "护学岗", "限速标志", "人行过街设施"),
        ),
        (
            ("学校心理健康教育", "中小学生心理健康", "学生心理健康服务"),
            ("专职心理教师", "心理测评", "家校协同", "危机干预"),
        ),
        (
            ("学校食堂食品安全", "校园食品安全监管", "中小学食堂管理"),
            ("明厨亮灶", "原料采购", "陪餐制度", "抽检频次"),
        ),
    ],
    "社区": [
        (
            ("社区嵌入式托育服务", "社区普惠托育", "社区托育服务点建设"),
            ("普惠托位", "托育人员培训", "机构监管", "用房配建"),
        ),
        (
            ("老旧小区加装电梯", "既有住宅加装电梯", "老旧住宅增设电梯"),
            ("审批简化", "资金补助", "低层住户协商", "维保责任"),
        ),
        (
            ("社区居家养老助餐", "社区老年助餐服务", "长者食堂建设"),
            ("助餐点布局", "运营补贴", "送餐上门", "服务评估"),
        ),
        (
            ("社区停车难", "居民小区停车难题", "老旧小区停车位不足"),
            ("错时共享停车", "立体停车设施", "路内泊位", "充电桩"),
        ),
    ],
    "城市": [
        (
            ("城市内涝治理", "城区排水防涝", "城市防汛排涝能力"),
            ("排水管网改造", "海绵城市", "易涝点整治", "应急抢险"),
        ),
        (
            ("城市公共厕所建设管理", "城区公厕管理", "城市公厕布局"),
            ("公厕数量", "保洁标准", "无障碍设施", "开放时间"),
        ),
        (
            ("城市慢行系统建设", "城市步行和自行车交通", "城区绿道慢行网络"),
            ("非机动车道", "过街设施", "共享单车停放", "绿道连通"),
        ),
        (
            ("城市夜间经济发展", "城市夜经济", "夜间消费街区建设"),
            ("夜市街区", "公共交通延时", "消费券", "安全管理"),
        ),
    ],
}
GENRE = (
    ("关于{subject}的建议", "关于进一步做好{subject}工作的提案"),
    ("关于加强{subject}的建议", "关于持续推进{subject}的提案"),
    ("关于完善{subject}的建议", "关于切实解决{subject}问题的建议"),
)


@dataclass(frozen=True)
class Generated:
    key: int
    committee: int
    session: tuple[int, int, int]
    subject: tuple[str, int]  # (field, subject index): same subject = a repeat
    title: str
    headings: tuple[str, ...]


def _headings(rng: random.Random, suggestions: tuple[str, ...], with_text: bool) -> tuple:
    if not with_text:
        return ()
    chosen = rng.sample(suggestions, rng.randint(2, len(suggestions)))
    return tuple(f"关于“{rng.choice(('加大', '做好', '落实', '完善'))}{item}”" for item in chosen)


def generate(seed: int = 1, committees: int = 4, per_committee: int = 120) -> list[Generated]:
    """Proposals of ``committees`` committees over three sessions each: about a third of
    the subjects raised once, a third again in a later session, the rest decoys."""
    rng = random.Random(seed)
    sessions = [session_key(year=2022 + i, term=15, meeting=1 + i) for i in range(3)]
    out: list[Generated] = []
    key = 0
    subjects = [(field, index) for field, items in FIELDS.items() for index in range(len(items))]
    for committee in range(committees):
        for _ in range(per_committee // 2):
            field, index = rng.choice(subjects)
            phrasings, suggestions = FIELDS[field][index]
            first, second = rng.sample(range(len(phrasings)), 2)
            session = rng.randrange(len(sessions))
            key += 1
            genre = rng.choice(GENRE)
            out.append(
                Generated(
                    key,
                    committee,
                    sessions[session],
                    (field, index),
                    genre[0].format(subject=phrasings[first]),
                    _headings(rng, suggestions, rng.random() < 0.6),
                )
            )
            # Raised again: a later session (a repeat), the same session (not one), or
            # another committee (not one).
            fate = rng.random()
            if fate < 0.5 and session < len(sessions) - 1:
                again_committee, again_session = committee, rng.randrange(session + 1, 3)
            elif fate < 0.65:
                again_committee, again_session = committee, session
            elif fate < 0.8:
                again_committee, again_session = (committee + 1) % committees, session + 1
            else:
                continue
            key += 1
            out.append(
                Generated(
                    key,
                    again_committee,
                    sessions[min(again_session, len(sessions) - 1)],
                    (field, index),
                    rng.choice(GENRE)[1].format(subject=phrasings[second]),
                    _headings(rng, suggestions, rng.random() < 0.6),
                )
            )
    return out


def evaluate(items: list[Generated]) -> dict:
    """Every pair of one committee with the second in a later session, judged as the
    service judges its candidates: precision and recall against the planted subjects."""
    prints = {item.key: fingerprint(item.title, item.headings) for item in items}
    true_positive = false_positive = false_negative = 0
    pairs = 0
    started = time.perf_counter()
    for later in items:
        for earlier in items:
            if earlier.committee != later.committee:
                continue
            if not is_earlier(earlier.session, later.session):
                continue
            pairs += 1
            # As the service does: only a title sharing enough pairs is a candidate.
            a, b = prints[later.key], prints[earlier.key]
            found = len(a.title & b.title) >= MIN_SHARED_TOKENS and is_repeat(a, b)[0]
            planted = earlier.subject == later.subject
            true_positive += found and planted
            false_positive += found and not planted
            false_negative += planted and not found
    elapsed = time.perf_counter() - started
    return {
        "proposals": len(items),
        "pairs": pairs,
        "planted": true_positive + false_negative,
        "precision": true_positive / ((true_positive + false_positive) or 1),
        "recall": true_positive / ((true_positive + false_negative) or 1),
        "false_positive": false_positive,
        "false_negative": false_negative,
        "microseconds_per_pair": 1e6 * elapsed / (pairs or 1),
    }
