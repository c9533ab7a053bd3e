"""ID numbers in other digits (issue 17, finding 1): Python's int() and a regex's \\d take the
digits of every script, so `11010519٤٩12310029` (one Arabic-Indic digit) passed the checksum
and was another number to the one-account digest and to the family rule. Every ID number is
now normalised at one edge (accounts.idcard): NFKC, then only ASCII 0–9 and X; anything else
is refused in words, in 实名认证, in 家庭成员 and wherever a number is parsed."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.idcard import mask_id_number, normalise, parse_id_number
from accounts.models import User
from applications.models import ApplicationInfo
from tests.accounts.factories import make_id_number, make_verified_user
from tests.factories import INFO_FIELDS, id_number_for, make_applicant, make_plan, make_user
from tests.strategies import OTHER_DIGITS

pytestmark = pytest.mark.django_db

NUMBER = "11010519491231002X"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
DEVANAGARI = "०१२३४५६७८९"
REFUSED = "证件号码只能由数字0-9和末位的X组成"


def in_script(number: str, digits: str, *, positions: range | list[int]) -> str:
    """`number` with the ASCII digits at `positions` written in another script."""
    return "".join(
        digits[int(char)] if index in positions and char.isdigit() else char
        for index, char in enumerate(number)
    )


# The edge: accounts.idcard ------------------------------------------------------------------


@pytest.mark.parametrize("digits", [ARABIC_INDIC, PERSIAN, DEVANAGARI])
@pytest.mark.parametrize("positions", [[8], [0], [16], list(range(17))])
def test_digits_of_other_scripts_are_refused_in_words(digits, positions):
    typed = in_script(NUMBER, digits, positions=positions)
    assert typed != NUMBER

    with pytest.raises(ValidationError) as error:
        parse_id_number(typed)

    assert error.value.code == "characters"
    assert REFUSED in error.value.messages[0]


def test_full_width_digits_and_a_small_x_are_the_same_number():
    assert parse_id_number("１１０１０５１９４９１２３１００２ｘ").number == NUMBER
    assert normalise(" 110105 19491231 002x ") == NUMBER


@pytest.mark.parametrize(
    ("other", "code"),
    [
        ("\u200b", "shape"),  # a zero-width space: no space to NFKC
        ("\u2212", "shape"),  # a minus sign
        ("\x00", "shape"),
        ("*", "shape"),
        ("Ⅹ", "shape"),  # the Roman numeral ten: NFKC makes it X, in the wrong place
        ("¹", "shape"),  # a superscript one: NFKC makes it 1, one digit too many
    ],
)
def test_anything_else_beside_digits_and_x_is_refused(other, code):
    with pytest.raises(ValidationError) as error:
        parse_id_number(NUMBER[:10] + other + NUMBER[10:])
    assert error.value.code == code


def test_a_no_break_space_is_a_space():
    assert parse_id_number(NUMBER[:6] + "\u00a0" + NUMBER[6:]).number == NUMBER


@given(
    position=st.integers(min_value=0, max_value=16),
    digit_set=st.sampled_from([ARABIC_INDIC, PERSIAN, DEVANAGARI]),
)
def test_no_number_with_another_scripts_digit_is_accepted(position, digit_set):
    typed = in_script(make_id_number(sequence=7), digit_set, positions=[position])
    with pytest.raises(ValidationError):
        parse_id_number(typed)


def test_every_accepted_number_is_ascii():
    for digit in OTHER_DIGITS:
        try:
            card = parse_id_number(NUMBER[:8] + digit + NUMBER[9:])
        except ValidationError:
            continue
        assert card.number.isascii()  # only full-width digits get here, made ASCII


# The reviewer's mask -------------------------------------------------------------------------


def test_the_mask_of_a_normalised_number_hides_only_ascii_digits():
    masked = mask_id_number(NUMBER)
    assert masked == "110105********002X"
    assert masked.isascii()


@pytest.mark.parametrize("position", range(18))
def test_the_mask_never_hides_an_odd_character(position):
    """Numbers stored before normalising could hold one: the mask shows it, and says so."""
    odd = NUMBER[:position] + "٩" + NUMBER[position + 1 :]

    masked = mask_id_number(odd)

    assert "٩" in masked
    assert "非标准字符" in masked


# Every form ---------------------------------------------------------------------------------


def test_a_second_account_cannot_verify_a_verified_number_in_other_digits(client):
    first = make_verified_user(id_number=NUMBER)
    second = make_user()
    client.force_login(second)
    typed = in_script(NUMBER, ARABIC_INDIC, positions=[8])

    response = client.post(
        reverse("accounts:verify_real_name"), {"real_name": "王小明", "id_number": typed}
    )

    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    second.refresh_from_db()
    assert not second.has_real_name
    assert User.objects.filter(id_number_digest__isnull=False).get() == first


def test_the_same_number_in_full_width_digits_is_the_verified_one(client):
    make_verified_user(id_number=NUMBER)
    client.force_login(make_user())
    full_width = "１１０１０５１９４９１２３１００２Ｘ"

    response = client.post(
        reverse("accounts:verify_real_name"), {"real_name": "王小明", "id_number": full_width}
    )

    assert "该证件号码已在其他账号完成实名认证" in response.content.decode()


def test_a_family_member_in_other_digits_is_refused_beside_the_field(client):
    applicant = make_applicant(name="王小明")
    plan = make_plan()
    client.force_login(applicant)
    spouse = id_number_for(date(1995, 8, 16), female=True)
    data = {
        **INFO_FIELDS,
        "marital_status": "married",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-0-name": "李华",
        "members-0-relation": "spouse",
        "members-0-id_number": in_script(spouse, DEVANAGARI, positions=[3]),
    }

    response = client.post(reverse("applications:fill", args=[plan.pk]), data)

    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert not ApplicationInfo.objects.exists()


def test_the_applicant_listed_in_other_digits_is_the_applicant(client):
    """Before, one Arabic-Indic digit made the applicant's own number another person's."""
    applicant = make_applicant(name="王小明")
    client.force_login(applicant)
    typed = in_script(applicant.id_number, ARABIC_INDIC, positions=[10])
    data = {
        **INFO_FIELDS,
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-0-name": "王小明",
        "members-0-relation": "other",
        "members-0-id_number": typed,
    }

    response = client.post(reverse("applications:fill", args=[make_plan().pk]), data)

    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert not ApplicationInfo.objects.exists()
