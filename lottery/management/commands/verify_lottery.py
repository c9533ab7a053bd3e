"""Recompute a plan's draw from its published data and compare it with the database.

    manage.py verify_lottery PLAN_ID                       the files as the site serves them
    manage.py verify_lottery PLAN_ID --entries entries.txt --seed-file seed.txt
                                                           downloaded files (seed from numbers)
    manage.py verify_lottery PLAN_ID --entries entries.txt --seed "SEED"
                                                           a draw with a typed seed (seed rule
                                                           "typed", before RFC 3797 seeds)

The seed and the order are recomputed by lottery/verify.py from the text of entries.txt and
seed.txt (or the typed seed) only; the database is read afterwards, to compare. Exits with an
error on any difference.
"""

import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lottery import publication, verify
from lottery.models import Draw


class Command(BaseCommand):
    help = "重新计算配租计划的种子和摇号结果（仅用公布的名单和号码），并与数据库核对。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("plan_id", type=int, help="配租计划 ID")
        parser.add_argument("--entries", type=Path, help="下载的 entries.txt（默认用本站公布的）")
        seed = parser.add_mutually_exclusive_group()
        seed.add_argument("--seed-file", type=Path, help="下载的 seed.txt（默认用本站公布的）")
        seed.add_argument("--seed", help="录入的种子，仅用于种子规则为 typed 的摇号")

    def handle(self, *args, plan_id: int, entries: Path | None, **options) -> None:
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
        if draw.seeded_by_sources:
            computed, seed = self.from_numbers(draw, text, options["seed_file"], options["seed"])
        else:
            computed, seed = self.from_typed_seed(draw, text, options["seed_file"], options["seed"])
        self.compare_positions(draw, computed)
        if computed != publication.result_text(draw):
            raise CommandError("重新计算的结果与公布的 result.txt 不一致。")
        self.stdout.write(self.style.SUCCESS(f"顺序一致：{draw.entry_count} 条，种子 {seed}"))

    def from_numbers(self, draw: Draw, entries: str, seed_file: Path | None, seed: str | None):
        """result.txt from the sources' numbers (seed.txt), after checking the seed they give."""
        if seed is not None:
            raise CommandError("该计划的种子由预告来源的号码计算，请用 --seed-file 指定 seed.txt。")
        published = seed_file.read_bytes().decode() if seed_file else publication.seed_txt(draw)
        try:
            sources = verify.parse_seed_text(published)
        except verify.FormatError as error:
            raise CommandError(f"seed.txt 格式不对：{error}") from None
        if verify.seed_text(sources) != published:
            raise CommandError("seed.txt 中的规范字符串或种子与其中的号码不一致。")
        announced = [(s.name, s.ordered, s.count) for s in draw.seed_sources.order_by("position")]
        given = [(s.name, s.ordered, len(s.numbers)) for s in sources]
        if given != announced:
            raise CommandError("seed.txt 中的来源与冻结名单时预告的不一致。")
        seed = verify.seed_from(sources)
        self.stdout.write(f"规范字符串：{verify.canonical_string(sources)}")
        if seed != draw.seed:
            raise CommandError(f"号码计算出的种子 {seed} 与数据库中的种子 {draw.seed} 不一致。")
        self.stdout.write(f"种子与号码计算的一致：{seed}")
        return verify.result_text(sources=sources, entries_text=entries), seed

    def from_typed_seed(self, draw: Draw, entries: str, seed_file: Path | None, seed: str | None):
        if seed_file is not None:
            raise CommandError("该计划的种子是录入的（种子规则 typed），请用 --seed 指定种子。")
        seed = draw.seed if seed is None else seed
        try:
            return verify.result_text(seed=seed, entries_text=entries), seed
        except ValueError as error:
            raise CommandError(str(error)) from None

    def compare_positions(self, draw: Draw, computed: str) -> None:
        """Every entry's group and 顺序号 in the database against the recomputed order."""
        stored = {
            code: (overall, group, position)
            for code, overall, group, position in draw.entries.values_list(
                "code", "overall_position", "group", "position"
            )
        }
        # The order's lines are those that start with a digit; the header's start with a word.
        lines = [line for line in computed.splitlines() if line[:1].isdigit()]
        differences = []
        for line in lines:
            overall, group, position, code = line.split(" ")
            if stored.pop(code, None) != (int(overall), int(group), int(position)):
                differences.append(code)
        differences += sorted(stored)  # in the database, not in the list
        if differences:
            shown = "、".join(differences[:10])
            raise CommandError(f"{len(differences)} 条与数据库不一致，例如：{shown}")
