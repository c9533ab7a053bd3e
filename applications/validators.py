import re

from django.core.exceptions import ValidationError

# GB 32100-2015: the 18-character unified social credit code of an organisation. The alphabet
# leaves out I, O, S, V and Z; the last character is a check over the first seventeen.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(first17: str) -> str:
    total = sum(
        CREDIT_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = value.strip().upper()
    if len(code) != 18 or any(char not in CREDIT_CODE_ALPHABET for char in code):
        raise ValidationError("统一社会信用代码应为 18 位数字或大写字母。", code="credit_code")
    if credit_code_check_character(code[:17]) != code[17]:
        raise ValidationError("统一社会信用代码校验位不正确，请核对。", code="credit_code")


# Mainland mobile numbers, or a landline with its area code (010-12345678, 0755 1234567).
# ASCII digits only: without re.ASCII, \d also matches other scripts' digits (١٢٣, １２３).
CONTACT_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}[- ]?\d{7,8})$", re.ASCII)


def validate_contact_phone(value: str) -> None:
    if not CONTACT_PHONE.match(value.strip()):
        raise ValidationError(
            "请输入正确的手机号或固定电话（如 13800000000 或 010-12345678）。", code="phone"
        )
