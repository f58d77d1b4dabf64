"""Seed the configurable topic list with the parser's default keywords.

Moved here from proposals 0003 (the parser is the replies app's: proposals imports nothing
above it); seeding is idempotent, so databases that ran the old one are left as they are.

Staff edit topics in the admin afterwards; the importer then uses the table, not the defaults.
"""

from django.db import migrations

from replies.parsing import DEFAULT_TOPICS

NAMES = {
    "funding": "科技投入与资金",
    "talent": "人才队伍",
    "enterprise": "企业培育",
    "incubator": "孵化载体",
    "finance": "科技金融",
    "innovation": "科技创新",
    "education": "教育",
    "health": "医疗卫生",
    "social_welfare": "社会保障",
    "transport": "交通出行",
    "environment": "生态环境",
    "agriculture": "农业农村",
    "culture_tourism": "文化旅游",
    "urban_management": "城市管理",
    "public_security": "公共安全",
    "water": "水利供水",
}


def seed(apps, schema_editor):
    Topic = apps.get_model("proposals", "Topic")
    for key, keywords in DEFAULT_TOPICS.items():
        Topic.objects.get_or_create(
            key=key, defaults={"name": NAMES.get(key, key), "keywords": "\n".join(keywords)}
        )


def unseed(apps, schema_editor):
    apps.get_model("proposals", "Topic").objects.filter(key__in=list(NAMES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("proposals", "0003_default_topics"),
        ("replies", "0005_commitment_due_index"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
