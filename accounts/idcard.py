"""Resident identity card numbers (居民身份证号码), GB 11643-1999.

18 characters: a 6-digit address code (the first two digits name the province), the birth date
as YYYYMMDD, a 3-digit sequence number whose last digit is odd for men and even for women,
and a check character computed from the first 17 digits (ISO 7064 MOD 11-2). Applicants' and
family members' numbers are checked here before anything else sees them.

This is the one edge every number passes (实名认证, 家庭成员, admin, commands): NFKC first, so
full-width digits (１２３) and a small x are what phones type for 123 and X, then only the
ASCII digits 0–9 and X are accepted. Python's int() and a regex's digit class also take the
digits of other scripts (Arabic-Indic ٠–٩, Devanagari ०–९ …), which NFKC leaves as they are:
a number with one of them passed the check digit yet was another number to the one-account
digest and to the one-family rule (issue 17). Such a number is refused, in words, never
converted.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


# GB 11643-1999 §7: weight of each of the first 17 digits, and the check character for each
# remainder 0–10 of the weighted sum modulo 11.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"

# Province-level codes of GB/T 2260: 11–15 North, 21–23 North-East, 31–37 East, 41–46
# Central-South, 50–54 South-West, 61–65 North-West, 71 Taiwan, 81 Hong Kong, 82 Macao.
PROVINCE_CODES = frozenset(
    [
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    ]
)

# ASCII only: [0-9], not \d, which matches every script's digits.
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_ALLOWED = frozenset("0123456789X")


@dataclass(frozen=True)
class IdCard:
    number: str  # normalised: 18 characters, an upper-case X if any
    birth_date: date
    sex: Sex
    area_code: str  # the 6-digit address code

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)


def normalise(number: str) -> str:
    """Full-width digits and a lower-case x are how phones often type it; spaces are dropped.
    What is left may still hold other characters: parse_id_number refuses them."""
    text = unicodedata.normalize("NFKC", number)
    return re.sub(r"\s+", "", text).upper()


def is_normalised(number: str) -> bool:
    """Only ASCII digits and X: what parse_id_number gives and what is stored."""
    return bool(number) and _ALLOWED.issuperset(number)


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def parse_id_number(number: str) -> IdCard:
    """The card a number stands for, or ValidationError saying in Chinese what is wrong."""
    number = normalise(number)
    if any(char.isdigit() and not char.isascii() for char in number):
        raise ValidationError(
            "证件号码只能由数字0-9和末位的X组成，请将输入法切换为中文或英文后重新输入。",
            code="characters",
        )
    if not _SHAPE.fullmatch(number):
        raise ValidationError("证件号码应为18位，由数字和末位的X组成。", code="shape")
    if int(number[:2]) not in PROVINCE_CODES:
        raise ValidationError("证件号码的地区代码不正确，请检查后重新输入。", code="area")
    try:
        birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            "证件号码中的出生日期不正确，请检查后重新输入。", code="birth_date"
        ) from None
    if birth_date > timezone.localdate():
        raise ValidationError("证件号码中的出生日期晚于今天，请检查后重新输入。", code="future")
    if check_character(number[:17]) != number[17]:
        raise ValidationError("证件号码校验位不正确，请检查后重新输入。", code="check")
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return IdCard(number=number, birth_date=birth_date, sex=sex, area_code=number[:6])


def mask_id_number(number: str) -> str:
    """110105********002X: the area and the last four, enough to tell one's own card apart.

    Only ASCII digits are ever hidden: a number stored before numbers were normalised could
    hold another script's digit, and a mask that hid it would show a reviewer two different
    numbers as one. Such a character is shown where it stands, and the mask says so."""
    hidden = range(6, 14) if len(number) == 18 else range(len(number))
    shown = "".join(
        "*" if index in hidden and char in "0123456789" else char
        for index, char in enumerate(number)
    )
    if not is_normalised(number) and number:
        return f"{shown}（含非标准字符）"
    return shown
