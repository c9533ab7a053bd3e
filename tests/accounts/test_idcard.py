from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.idcard import Sex, check_character, mask_id_number, parse_id_number
from tests.accounts.factories import make_id_number

# The worked examples of GB 11643-1999 (appendix), one ending in X.
STANDARD_EXAMPLES = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("number", STANDARD_EXAMPLES)
def test_accepts_the_examples_of_the_standard(number):
    assert parse_id_number(number).number == number


def test_reads_birth_date_sex_and_area():
    card = parse_id_number("11010519491231002X")
    assert card.birth_date == date(1949, 12, 31)
    assert card.sex == Sex.FEMALE  # 002: even
    assert card.area_code == "110105"
    assert parse_id_number("440524188001010014").sex == Sex.MALE  # 001: odd


def test_accepts_lower_case_x_spaces_and_full_width_digits():
    assert parse_id_number(" 110105 19491231 002x ").number == "11010519491231002X"
    assert parse_id_number("１１０１０５１９４９１２３１００２Ｘ").number == "11010519491231002X"


def test_check_character_maps_every_remainder():
    # Remainders 0–10 of the weighted sum map to 1 0 X 9 8 7 6 5 4 3 2.
    seen = {check_character(make_id_number(sequence=s)[:17]) for s in range(200)}
    assert seen == set("10X98765432")


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("11010519491231002", "shape"),  # 17 characters
        ("1101051949123100200", "shape"),  # 19
        ("1101051949123100X2", "shape"),  # X not last
        ("11010519491231002Y", "shape"),
        ("99010519491231002X", "area"),  # no province 99
        ("16010519491231002X", "area"),
        ("110105194902300020", "birth_date"),  # 30 February
        ("110105194913010020", "birth_date"),  # month 13
        ("110105194912310021", "check"),  # right shape, wrong check digit
        ("11010519491231002_", "shape"),
    ],
)
def test_refuses_malformed_numbers(number, code):
    with pytest.raises(ValidationError) as error:
        parse_id_number(number)
    assert error.value.code == code


def test_refuses_a_wrong_check_digit_in_place_of_x():
    with pytest.raises(ValidationError, match="校验位"):
        parse_id_number("110105194912310020")


def test_refuses_a_birth_date_in_the_future():
    tomorrow = date(2026, 6, 2)
    with time_machine.travel("2026-06-01 12:00 +08:00", tick=False):
        with pytest.raises(ValidationError) as error:
            parse_id_number(make_id_number(birth_date=tomorrow))
        assert error.value.code == "future"
        assert parse_id_number(make_id_number(birth_date=tomorrow - timedelta(days=1)))


def test_messages_are_chinese():
    with pytest.raises(ValidationError) as error:
        parse_id_number("123")
    assert error.value.messages == ["证件号码应为18位，由数字和末位的X组成。"]


def test_masks_all_but_area_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert parse_id_number("11010519491231002X").masked == "110105********002X"


def test_masks_odd_lengths_entirely():
    assert mask_id_number("12345") == "*****"
