"""Recompute a plan's draw from its published data and compare it with the database.

    manage.py verify_lottery PLAN_ID                       the files as the site serves them
    manage.py verify_lottery PLAN_ID --entries entries.txt --seed "SEED"
                                                           a downloaded list, an announced seed

The order is recomputed by lottery/verify.py from the text of entries.txt and the seed only;
the database is read afterwards, to compare. Exits with an error on any difference.
"""

import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lottery import publication, verify
from lottery.models import Draw


class Command(BaseCommand):
    help = "重新计算配租计划的摇号结果（仅用公布的名单和种子），并与数据库核对。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("plan_id", type=int, help="配租计划 ID")
        parser.add_argument("--entries", type=Path, help="下载的 entries.txt（默认用本站公布的）")
        parser.add_argument("--seed", help="公布的种子（默认用数据库中的）")

    def handle(self, *args, plan_id: int, entries: Path | None, seed: str | None, **options):
        draw = Draw.objects.filter(plan_id=plan_id).first()
        if draw is None:
            raise CommandError(f"配租计划 {plan_id} 的名单尚未冻结。")
        text = entries.read_bytes().decode() if entries else publication.entries_text(draw)
        digest = hashlib.sha256(text.encode()).hexdigest()
        self.stdout.write(f"名单 SHA-256：{digest}")
        if digest != draw.list_sha256:
            raise CommandError(f"与冻结时公布的 SHA-256 不一致：{draw.list_sha256}")
        self.stdout.write(f"与冻结时公布的一致（{draw.entry_count} 条）。")
        if not draw.is_drawn:
            self.stdout.write("尚未摇号，没有可核对的顺序。")
            return
        seed = draw.seed if seed is None else seed
        try:
            computed = verify.result_text(seed=seed, entries_text=text)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.compare_positions(draw, computed)
        if computed != publication.result_text(draw):
            raise CommandError("重新计算的结果与公布的 result.txt 不一致。")
        self.stdout.write(self.style.SUCCESS(f"顺序一致：{draw.entry_count} 条，种子 {seed}"))

    def compare_positions(self, draw: Draw, computed: str) -> None:
        """Every entry's group and 顺序号 in the database against the recomputed order."""
        stored = {
            code: (overall, group, position)
            for code, overall, group, position in draw.entries.values_list(
                "code", "overall_position", "group", "position"
            )
        }
        lines = computed.splitlines()[3:]
        differences = []
        for line in lines:
            overall, group, position, code = line.split(" ")
            if stored.pop(code, None) != (int(overall), int(group), int(position)):
                differences.append(code)
        differences += sorted(stored)  # in the database, not in the list
        if differences:
            shown = "、".join(differences[:10])
            raise CommandError(f"{len(differences)} 条与数据库不一致，例如：{shown}")
