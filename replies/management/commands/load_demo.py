from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from proposals.models import Proposal
from replies.demo import PROPOSAL_TEXTS, demo_letters, repeat_letters
from replies.services.coverage import save_proposal_text
from replies.services.letters.importer import import_letters

# The sample letters under SAMPLES_DIR: the first set and the more varied second one.
SAMPLE_FOLDERS = ("letters", "more/letters")


class Command(BaseCommand):
    help = (
        "Load demo data through the real importer: the sample reply letters (letters/ and "
        "more/letters/ under SAMPLES_DIR); without them, a few demo letters composed by "
        "the app, and it says so."
    )

    def handle(self, *args, **options):
        samples = Path(settings.SAMPLES_DIR)
        folders = [samples / folder for folder in SAMPLE_FOLDERS]
        present = [folder for folder in folders if folder.is_dir()]
        if present:
            for folder in folders:
                if folder in present:
                    self.stdout.write(f"Importing the sample letters in {folder}")
                else:
                    self.stdout.write(self.style.WARNING(f"No sample letters in {folder}"))
            # The demo's choice: letters that name no region go under 未注明地区….
            call_command(
                "import_letters",
                *[str(folder) for folder in present],
                unknown_committee=True,
                stdout=self.stdout,
                stderr=self.stderr,
            )
        else:
            self.load_generated(samples)
        self.load_proposal_texts()
        self.plant_repeat()

    def load_proposal_texts(self) -> None:
        """The demo's proposal texts (``replies.demo.PROPOSAL_TEXTS``) for whichever of
        their proposals were imported and have none yet, through the admin's service."""
        for demo in PROPOSAL_TEXTS:
            proposal = Proposal.objects.filter(
                session__committee__name__startswith=demo.committee_prefix,
                session__term=demo.term,
                session__meeting=demo.meeting,
                number=demo.number,
            ).first()
            if proposal is None or proposal.text:
                continue  # not imported, or a text is there already (staff's, or ours)
            save_proposal_text(proposal=proposal, text=demo.text, public=demo.public)
            self.stdout.write(
                f"提案原文（演示）：{proposal}，{'公开' if demo.public else '不公开'}；"
                f"答复未涉及建议 {'、'.join(map(str, demo.unanswered))}"
            )

    def plant_repeat(self) -> None:
        """A repeat of an answered proposal (labelled 演示数据 in both titles), so that
        此前相关提案 and the office's 重复提出 flag have something to show."""
        outcomes = import_letters(repeat_letters())
        failures = [outcome.error for outcome in outcomes if outcome.outcome == "failed"]
        if failures:
            raise CommandError("演示用重复提案导入失败：" + "；".join(failures))
        self.stdout.write("演示数据：已加入一件重复提出的提案（标题注明“演示数据”）。")

    def load_generated(self, samples: Path) -> None:
        """The app's own demo letters, with a banner nobody can miss: the pages will show
        made-up letters, not real ones."""
        rule = "=" * 72
        for line in (
            rule,
            "未找到示例答复函，已导入系统生成的演示数据（内容为虚构）。",
            "Sample letters not found: imported generated demo letters (made up) instead.",
            f"示例目录 / samples folder: {samples}",
            "设置 SAMPLES_DIR 指向样例目录可导入真实答复函 / "
            "set SAMPLES_DIR to import the real sample letters.",
            rule,
        ):
            self.stdout.write(self.style.WARNING(line))
        outcomes = import_letters(demo_letters())
        counts = {"imported": 0, "updated": 0, "unchanged": 0, "failed": 0}
        for outcome in outcomes:
            counts[outcome.outcome] += 1
        self.stdout.write(
            f"演示数据：导入 {counts['imported']}，更新 {counts['updated']}，"
            f"未变 {counts['unchanged']}，失败 {counts['failed']}"
        )
        failures = [outcome.error for outcome in outcomes if outcome.outcome == "failed"]
        if failures:
            raise CommandError("演示答复函导入失败：" + "；".join(failures))
