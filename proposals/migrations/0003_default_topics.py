"""Formerly seeded the topic list with the parser's default keywords; that now happens in
replies 0006 (the parser belongs to the replies app, and proposals imports nothing above
it). Kept, empty, so that the migration graph of existing databases stays the same."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("proposals", "0002_search_index")]

    operations = []
