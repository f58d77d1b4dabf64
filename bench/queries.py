"""The fixed list of 50 searches: common two-character words, rare terms, phrases, several
words, one character, no match, with and without filters and sorts."""

COMMON = ["人才", "养老", "教育", "交通", "医疗", "建设", "服务", "企业", "农村", "资金"]
COMMON += ["公园", "旅游", "安全", "社区", "平台"]
PHRASES = ["孵化器", "充电桩", "停车场", "口袋公园", "垃圾分类", "老旧小区", "家庭医生"]
PHRASES += ["直播电商", "海绵城市", "雨污分流", "营商环境", "高层次人才", "一网通办"]
RARE = ["院士工作站", "盐碱地", "沂蒙精神", "5G基站", "退役军人服务", "杏洼", "钱若曦"]
RARE += ["火星基地", "第89号"]
SEVERAL = ["人才 公寓", "养老 服务", "污水处理 改造"]
SINGLE = ["桥"]

QUERIES: list[dict[str, str]] = [{"q": q} for q in COMMON + PHRASES + RARE + SEVERAL + SINGLE]
QUERIES += [
    {"q": "人才", "year": "2024"},
    {"q": "孵化器", "classification": "B"},
    {"q": "养老", "topic": "health"},
    {"q": "充电桩", "status": "overdue"},
    {"q": "教育", "kind": "suggestion", "sort": "newest"},
    {"q": "人才", "sort": "newest"},
    {"q": "口袋公园", "committee": "临沂市政协"},
    {"q": "服务", "sort": "oldest"},
    {"year": "2023", "classification": "A"},
]
assert len(QUERIES) == 50, len(QUERIES)
