"""统一社会信用代码 (GB 32100-2015) and contact phone numbers."""

import pytest
from django.core.exceptions import ValidationError

from applications.validators import validate_contact_phone, validate_credit_code

# GB 32100-2015 §4 and annex: 31 characters (digits, then capitals without I, O, S, V, Z), and
# the weight of position i is 3**i mod 31. Written out here rather than imported, so that the
# test checks the module against the standard and not against itself.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def with_check_character(first17: str) -> str:
    total = sum(ALPHABET.index(char) * pow(3, i, 31) for i, char in enumerate(first17))
    return first17 + ALPHABET[(31 - total % 31) % 31]


def test_accepts_the_example_code_of_the_standard():
    validate_credit_code("91350100M000100Y43")


@pytest.mark.parametrize(
    "first17",
    [
        "91110105MA01ABCDE",  # a company registered in 朝阳区
        "12100000400000000",  # a public institution
        "52110000500000000",  # a social organisation
        "92110108MA00000XY",  # an individual business, with the last letters of the alphabet
        "Y1110000000000000",
    ],
)
def test_accepts_codes_whose_check_character_follows_the_standard(first17):
    validate_credit_code(with_check_character(first17))


def test_some_code_has_0_as_check_character_and_is_accepted():
    """The check character is 0 when the weighted sum is already a multiple of 31."""
    code = next(
        code
        for n in range(10_000)
        if (code := with_check_character(f"9111010500000{n:04d}")).endswith("0")
    )

    validate_credit_code(code)


def test_accepts_lower_case_and_surrounding_spaces():
    validate_credit_code("  91350100m000100y43 ")


def test_refuses_a_wrong_check_character():
    with pytest.raises(ValidationError, match="校验位不正确"):
        validate_credit_code("91350100M000100Y44")


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_refuses_letters_the_standard_leaves_out(letter):
    # Even when the rest would give a well-formed code: the letter itself is not allowed.
    code = "91350100M000100Y4" + letter

    with pytest.raises(ValidationError, match="18 位数字或大写字母"):
        validate_credit_code(code)


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_refuses_left_out_letters_inside_the_code(letter):
    with pytest.raises(ValidationError, match="18 位数字或大写字母"):
        validate_credit_code(f"91350100{letter}000100Y43")


@pytest.mark.parametrize(
    "code",
    ["91350100M000100Y4", "91350100M000100Y433", "", "91350100M000100Y4-", "９1350100M000100Y43"],
)
def test_refuses_codes_of_the_wrong_shape(code):
    with pytest.raises(ValidationError):
        validate_credit_code(code)


@pytest.mark.parametrize(
    "phone",
    [
        "13800000000",
        "19912345678",
        "010-12345678",
        "01012345678",
        "0755 1234567",
        "0311-8765432",
        " 13800000000 ",
    ],
)
def test_accepts_mobile_and_landline_numbers(phone):
    validate_contact_phone(phone)


@pytest.mark.parametrize(
    "phone",
    [
        "12800000000",  # no mobile network starts with 12
        "1380000000",  # ten digits
        "138000000000",  # twelve digits
        "+8613800000000",
        "12345678",  # a landline without its area code
        "010-123456",
        "010--12345678",
        "138-0000-0000",
        "１３８００００００００",  # full-width digits
        "13８００００００００",  # full-width digits after an ASCII start
        "13٨٠٠٠٠٠٠٠٠",  # Arabic-Indic digits after an ASCII start
        "13800000000x",
        "",
    ],
)
def test_refuses_malformed_phone_numbers(phone):
    with pytest.raises(ValidationError, match="请输入正确的手机号或固定电话"):
        validate_contact_phone(phone)
