"""accounts.realname.verify_real_name, the one function 立即实名 and any later caller use."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.models import User
from accounts.realname import RealNameRefused, clean_name, verify_real_name
from tests.accounts.factories import make_id_number, make_verified_user
from tests.clock import MORNING
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_records_name_sex_and_birth_date():
    user = verify_real_name(user=make_user(), name="王小明", id_number="11010519491231002x")
    user.refresh_from_db()
    assert user.has_real_name
    assert user.real_name == "王小明"
    assert user.sex == User.Sex.FEMALE
    assert str(user.birth_date) == "1949-12-31"
    assert user.id_number == "11010519491231002X"
    assert user.masked_id_number == "110105********002X"


def test_the_database_row_holds_no_plain_number():
    user = verify_real_name(user=make_user(), name="王小明", id_number="11010519491231002X")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user WHERE id = %s", [user.pk])
        row = cursor.fetchone()
    stored = " ".join(str(value) for value in row)
    assert "11010519491231002X" not in stored
    assert "19491231002X" not in stored
    assert "王小明" in stored  # the row is the right one


def test_one_number_one_account():
    make_verified_user(id_number="11010519491231002X")
    second = make_user()
    with pytest.raises(RealNameRefused, match="请联系客服：010-81120588") as refused:
        verify_real_name(user=second, name="王小明", id_number="11010519491231002X")
    assert refused.value.field == "id_number"
    second.refresh_from_db()
    assert not second.has_real_name


def test_the_database_keeps_one_number_to_one_account_too():
    make_verified_user(id_number="11010519491231002X")
    second = make_user()
    second.set_real_name(name="王小明", id_number="11010519491231002X", verified_at=MORNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_a_verified_account_cannot_verify_again():
    user = make_verified_user()
    with pytest.raises(RealNameRefused, match="您已完成实名认证"):
        verify_real_name(user=user, name="李四", id_number=make_id_number())


def test_the_verifier_can_refuse(settings):
    settings.IDENTITY_VERIFIER = "refuse"
    user = make_user()
    with pytest.raises(RealNameRefused, match="姓名与证件号码不一致"):
        verify_real_name(user=user, name="王小明", id_number="11010519491231002X")
    user.refresh_from_db()
    assert not user.has_real_name


def test_a_verifier_can_be_named_by_its_path(settings):
    settings.IDENTITY_VERIFIER = "accounts.realname.RefusingVerifier"
    with pytest.raises(RealNameRefused):
        verify_real_name(user=make_user(), name="王小明", id_number="11010519491231002X")


def test_five_attempts_a_day(settings):
    settings.IDENTITY_VERIFIER = "refuse"
    user = make_user()
    for _ in range(5):
        with pytest.raises(RealNameRefused, match="不一致"):
            verify_real_name(user=user, name="王小明", id_number="11010519491231002X")
    with pytest.raises(RealNameRefused, match="实名认证尝试次数过多"):
        verify_real_name(user=user, name="王小明", id_number="11010519491231002X")


def test_malformed_numbers_are_validation_errors():
    with pytest.raises(ValidationError, match="校验位"):
        verify_real_name(user=make_user(), name="王小明", id_number="110105194912310021")


@pytest.mark.parametrize(
    ("typed", "name"),
    [("王小明", "王小明"), (" 王 小明 ", "王小明"), ("阿依古丽•买买提", "阿依古丽·买买提")],
)
def test_cleans_names(typed, name):
    assert clean_name(typed) == name


@pytest.mark.parametrize("typed", ["王", "Wang Xiaoming", "王小明1", ""])
def test_refuses_names_that_are_not_chinese(typed):
    with pytest.raises(ValidationError, match="中文姓名"):
        clean_name(typed)


def test_settings_refuse_an_unknown_verifier_name():
    environment = {**os.environ, "DEBUG": "1", "IDENTITY_VERIFIER": "police"}
    result = subprocess.run(
        [sys.executable, "-c", "import rentcenter.settings"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "IDENTITY_VERIFIER must be http, local, refuse or the dotted path" in result.stderr


def test_an_unimportable_verifier_path_is_a_configuration_error(settings):
    settings.IDENTITY_VERIFIER = "nowhere.Verifier"
    with pytest.raises(ImproperlyConfigured):
        verify_real_name(user=make_user(), name="王小明", id_number="11010519491231002X")


# Production names its verifier (issue 17, finding 3) ------------------------------------------


def production(tmp_path, code: str = "import rentcenter.settings", **env: str):
    from tests.rentcenter.test_settings import PRODUCTION, run_settings

    environment = {k: v for k, v in PRODUCTION.items() if k != "IDENTITY_VERIFIER"}
    return run_settings(tmp_path, code, **{**environment, **env})


def test_production_refuses_to_start_without_naming_a_verifier(tmp_path):
    result = production(tmp_path)
    assert result.returncode != 0
    assert "IDENTITY_VERIFIER must be set when DEBUG is off" in result.stderr


def test_the_http_verifier_needs_its_address_and_key(tmp_path):
    result = production(tmp_path, IDENTITY_VERIFIER="http")
    assert "IDENTITY_VERIFIER=http needs IDENTITY_SERVICE_URL and IDENTITY_SERVICE_KEY" in (
        result.stderr
    )
    started = production(
        tmp_path,
        IDENTITY_VERIFIER="http",
        IDENTITY_SERVICE_URL="https://id.example.cn/verify",
        IDENTITY_SERVICE_KEY="k" * 32,
    )
    assert started.returncode == 0, started.stderr


def test_the_refusing_double_is_for_tests_only(tmp_path):
    assert "IDENTITY_VERIFIER=refuse is a test double" in (
        production(tmp_path, IDENTITY_VERIFIER="refuse").stderr
    )


def test_check_deploy_says_what_local_means(tmp_path):
    from tests.rentcenter.test_settings import readme_production_environment, run_settings

    environment = readme_production_environment()
    for name in ("IDENTITY_SERVICE_URL", "IDENTITY_SERVICE_KEY"):
        environment.pop(name)
    environment["IDENTITY_VERIFIER"] = "local"
    code = "import django; from django.core.management import call_command; django.setup(); "
    code += "call_command('check', '--deploy')"

    result = run_settings(tmp_path, code, **environment)

    said = result.stderr + result.stdout
    assert "rentcenter.W001" in said
    assert "names are compared with nothing" in said
