"""manage.py build_pdf_fonts: the cut-down Noto Sans CJK SC of the PDF records."""

import io

import pytest
from django.core.management import CommandError, call_command
from fontTools.ttLib import TTFont

from applications import pdf
from applications.management.commands import build_pdf_fonts


def test_the_character_set_is_gb2312_with_ascii_and_common_symbols():
    characters = set(build_pdf_fonts.gb2312_characters())
    assert 7400 < len(characters) < 9000
    for character in "保障性租赁住房专项配租平台欧阳明月AZ09·×㎡（）：，。—":
        assert character in characters, character
    assert "喆" not in characters  # GBK, not GB 2312


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def test_builds_both_weights_once(var_dir, monkeypatch):
    # A few characters instead of 7,500: the cutting is the same, and fast.
    monkeypatch.setattr(build_pdf_fonts, "gb2312_characters", lambda: "配租登记ABC·")
    call_command("build_pdf_fonts", stdout=io.StringIO())
    for name in pdf.RECORD_FONTS.values():
        cmap = TTFont(var_dir / "fonts" / name).getBestCmap()
        assert {chr(code) for code in cmap} >= set("配租登记ABC·")
        assert ord("房") not in cmap
    output = io.StringIO()
    call_command("build_pdf_fonts", stdout=output)
    assert output.getvalue() == ""  # there already: nothing to do
    assert pdf._font_faces() == [
        ("normal", (var_dir / "fonts" / "record-sans-regular.otf").as_uri()),
        ("bold", (var_dir / "fonts" / "record-sans-bold.otf").as_uri()),
    ]


def test_without_the_noto_fonts_says_what_to_install():
    # fontconfig answers with its nearest font when the one asked for is missing.
    with pytest.raises(CommandError, match="fonts-noto-cjk"):
        build_pdf_fonts._find("A Font That Does Not Exist")
