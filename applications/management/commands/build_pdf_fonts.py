"""Cut Noto Sans CJK SC down to GB 2312 for the PDF records (applications/pdf.py).

`make install` runs it; it does nothing when the fonts are there (--force builds them again).
The fonts come from fontconfig (Debian's fonts-noto-cjk); fontTools, which WeasyPrint brings,
does the cutting, in a few seconds per weight.
"""

import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from fontTools import subset

from applications.pdf import RECORD_FONTS, fonts_dir

# Printable ASCII and Latin-1 (· × ° ±), general punctuation, letterlike symbols and arrows
# (℃ № →), circled numbers, CJK symbols and punctuation, enclosed CJK and units (㈠ ㎡),
# full-width forms.
EXTRA_RANGES = [
    (0x20, 0x7E),
    (0xA0, 0xFF),
    (0x2010, 0x205E),
    (0x2100, 0x21FF),
    (0x2460, 0x24FF),
    (0x3000, 0x303F),
    (0x3200, 0x33FF),
    (0xFF01, 0xFF65),
]


def gb2312_characters() -> str:
    characters = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                characters.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    for first, last in EXTRA_RANGES:
        characters.update(chr(code) for code in range(first, last + 1))
    return "".join(sorted(characters))


class Command(BaseCommand):
    help = "为导出 PDF 生成精简的中文字体（GB 2312 字符集）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="即使已存在也重新生成")

    def handle(self, *args, force: bool = False, **options) -> None:
        target = fonts_dir()
        target.mkdir(parents=True, exist_ok=True)
        text = gb2312_characters()
        for weight, name in RECORD_FONTS.items():
            output = target / name
            if output.exists() and not force:
                continue
            source, number = _find(
                "Noto Sans CJK SC:weight=bold" if weight == "bold" else "Noto Sans CJK SC"
            )
            options_ = subset.Options()
            options_.font_number = number
            options_.layout_features = ["*"]
            font = subset.load_font(source, options_)
            subsetter = subset.Subsetter(options_)
            subsetter.populate(text=text)
            subsetter.subset(font)
            partial = output.with_suffix(".partial")
            subset.save_font(font, partial, options_)
            partial.replace(output)  # a worker never reads a half-written font
            self.stdout.write(f"{output}（{output.stat().st_size // 1024} KB）")


def _find(pattern: str) -> tuple[Path, int]:
    try:
        found = subprocess.run(  # noqa: S603 (a fixed command and a pattern of ours)
            ["fc-match", "-f", "%{file}:%{index}", pattern],  # noqa: S607 (fontconfig's tool)
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise CommandError(f"找不到字体 {pattern}：请安装 fonts-noto-cjk（{error}）") from error
    file, _, index = found.rpartition(":")
    if "NotoSansCJK" not in file:
        raise CommandError(f"找不到字体 {pattern}：请安装 fonts-noto-cjk（fc-match 给出 {file}）")
    return Path(file), int(index or 0)
