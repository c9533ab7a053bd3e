"""The staff forms of the lottery: 冻结名单 with the seed's sources, and 录入号码 at the draw.

Numbers are typed as the sources print them ("08 15 23"), with spaces or commas between them,
in half- or full-width digits; they are kept as integers and written in the canonical form of
lottery/verify.py, so "08" and "8" are the same number."""

import re
import unicodedata
from datetime import datetime

from django import forms
from django.utils import timezone

from lottery import verify
from lottery.draw import Announcement
from lottery.models import MAX_NUMBERS, Draw, Eligibility, SeedSource
from rentcenter.dates import format_when

# How many sources the freeze form offers. RFC 3797 advises several independent sources, so
# that no one party controls the seed.
SOURCE_FORMS = 3
SEPARATORS = re.compile(r"[\s,，、;；]+")


class FreezeForm(forms.Form):
    mode = forms.ChoiceField(
        label="参加摇号的登记",
        choices=Eligibility.choices,
        initial=Eligibility.ACTIVE,
        widget=forms.RadioSelect,
    )


class SourceForm(forms.Form):
    """One seed source announced with the list: where its numbers come from, when they become
    known, how many there are."""

    name = forms.CharField(
        label="种子来源",
        max_length=SeedSource._meta.get_field("name").max_length,
        help_text=(
            "写明哪一期、由谁公开产生的号码，例如：中国福利彩票 双色球 第2026150期 红色球开奖号码。"
        ),
        error_messages={
            "required": "请填写种子来源。",
            "max_length": "种子来源不能超过 %(limit_value)d 个字符。",
        },
    )
    known_at = forms.DateTimeField(
        label="号码公布时间",
        help_text="北京时间；必须晚于冻结名单的时间。",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": "请填写号码公布时间。",
            "invalid": "请按“年-月-日 时:分”填写号码公布时间，例如 2026-12-20 21:15。",
        },
    )
    count = forms.IntegerField(
        label="号码个数",
        min_value=1,
        max_value=MAX_NUMBERS,
        widget=forms.NumberInput(attrs={"class": "vIntegerField"}),
        error_messages={
            "required": "请填写号码个数。",
            "invalid": "号码个数必须是整数。",
            "min_value": f"号码个数必须在 1 到 {MAX_NUMBERS} 之间。",
            "max_value": f"号码个数必须在 1 到 {MAX_NUMBERS} 之间。",
        },
    )
    ordered = forms.BooleanField(
        label="按开出顺序计入",
        required=False,
        help_text="不勾选：号码从小到大排序后计入（如彩票开奖号码）；勾选：按开出的先后顺序计入。",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        try:
            return verify.check_source_name(name)
        except ValueError:
            raise forms.ValidationError("种子来源必须是一行文字。") from None

    def clean_known_at(self) -> datetime:
        known_at = self.cleaned_data["known_at"]
        if known_at <= timezone.now():
            raise forms.ValidationError(
                "号码公布时间必须晚于现在：只有冻结名单之后才公布的号码，才能证明种子不是事先挑选的。"
            )
        return known_at

    def announcement(self) -> Announcement:
        data = self.cleaned_data
        return Announcement(data["name"], data["known_at"], data["count"], data["ordered"])


class BaseSourceFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(form.has_changed() for form in self.forms):
            raise forms.ValidationError("请至少预告一个种子来源。")

    def announcements(self) -> list[Announcement]:
        """The filled-in sources, in the order of the form."""
        return [form.announcement() for form in self.forms if form.has_changed()]


SourceFormSet = forms.formset_factory(
    SourceForm, formset=BaseSourceFormSet, extra=SOURCE_FORMS, max_num=SOURCE_FORMS
)


def parse_numbers(text: str) -> list[int]:
    """The numbers typed for a source: integers separated by spaces, commas or 、."""
    text = unicodedata.normalize("NFKC", text).strip()  # full-width digits and commas
    numbers = []
    for token in SEPARATORS.split(text) if text else []:
        if not token.isascii() or not token.isdigit():
            raise forms.ValidationError(
                f"“{token}”不是整数：号码只能由数字 0–9 组成，号码之间用空格或逗号分隔。"
            )
        number = int(token)
        try:
            verify.canonical_number(number)
        except ValueError:
            raise forms.ValidationError(
                f"号码 {token} 过长：每个号码最多 {verify.MAX_DIGITS} 位。"
            ) from None
        numbers.append(number)
    return numbers


class NumbersForm(forms.Form):
    """录入号码: one field per announced source, refused before its numbers are known."""

    def __init__(self, *args, sources: list[SeedSource], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sources = sources
        for source in sources:
            known_at = format_when(source.known_at)
            self.fields[self.field_name(source)] = forms.CharField(
                label=source.name,
                max_length=SeedSource._meta.get_field("numbers").max_length,
                help_text=f"{source.rule_text}；{known_at} 公布。号码之间用空格或逗号分隔。",
                error_messages={"required": f"请录入“{source.name}”的号码。"},
            )

    @staticmethod
    def field_name(source: SeedSource) -> str:
        return f"source_{source.position}"

    def clean(self) -> dict:
        cleaned = super().clean()
        now = timezone.now()
        for source in self.sources:
            name = self.field_name(source)
            if name not in cleaned:
                continue
            if now < source.known_at:
                known_at = format_when(source.known_at)
                self.add_error(name, f"该来源的号码 {known_at} 才公布，现在还不能录入。")
                continue
            try:
                numbers = parse_numbers(cleaned[name])
            except forms.ValidationError as error:
                self.add_error(name, error)
                continue
            if len(numbers) != source.count:
                self.add_error(
                    name, f"该来源应有 {source.count} 个号码，您录入了 {len(numbers)} 个。"
                )
                continue
            cleaned[name] = numbers
        return cleaned

    def numbers(self) -> list[list[int]]:
        """Each source's numbers, in the announced order of the sources."""
        return [self.cleaned_data[self.field_name(source)] for source in self.sources]

    def checked_sources(self) -> list[verify.Source]:
        """The sources with the numbers entered, as the seed will be computed from them."""
        return [
            verify.Source(source.name, source.ordered, tuple(numbers))
            for source, numbers in zip(self.sources, self.numbers(), strict=True)
        ]


class TypedSeedForm(forms.Form):
    """录入种子 for a list frozen before seeds came from public numbers (seed rule "typed")."""

    seed = forms.CharField(
        label="种子",
        max_length=Draw._meta.get_field("seed").max_length,
        help_text="按种子来源公布的原样输入（一行文字，前后空格会被去掉）；摇号后原样公布。",
        error_messages={"required": "请填写种子。"},
    )
    seed_source = forms.CharField(
        label="种子来源",
        max_length=Draw._meta.get_field("seed_source").max_length,
        help_text="例如：2026年12月20日 北京市方正公证处 公开摇出的号码（公证书编号）。",
        error_messages={"required": "请填写种子来源。"},
    )

    def clean_seed(self) -> str:
        seed = self.cleaned_data["seed"]
        try:
            return verify.check_seed(seed)
        except ValueError:
            raise forms.ValidationError("种子必须是一行文字。") from None
