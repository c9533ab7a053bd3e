import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from rentcenter import crypto


def test_encrypts_so_that_the_text_is_not_in_the_token():
    token = crypto.encrypt("11010519491231002X")
    assert "11010519491231002X" not in token
    assert crypto.decrypt(token) == "11010519491231002X"


def test_each_encryption_differs():
    assert crypto.encrypt("11010519491231002X") != crypto.encrypt("11010519491231002X")


def test_digest_is_keyed_and_stable(settings):
    first = crypto.digest("11010519491231002X")
    assert first == crypto.digest("11010519491231002X")
    assert len(first) == 64
    settings.ID_NUMBER_HMAC_KEY = "another-key-of-at-least-thirty-two-characters"
    assert crypto.digest("11010519491231002X") != first


def test_old_keys_still_decrypt_after_rotation(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ID_NUMBER_KEYS = [old_key]
    token = crypto.encrypt("11010519491231002X")
    settings.ID_NUMBER_KEYS = [new_key, old_key]
    assert crypto.decrypt(token) == "11010519491231002X"
    rotated = crypto.reencrypt(token)
    settings.ID_NUMBER_KEYS = [new_key]
    assert crypto.decrypt(rotated) == "11010519491231002X"
    with pytest.raises(InvalidToken):
        crypto.decrypt(token)


@pytest.mark.parametrize("token", ["北京市朝阳区", "gAAAAA\u00e9", "not a token"])
def test_a_token_that_is_not_even_ascii_is_invalid_like_any_other(token):
    """Tokens come back from hidden form fields, where anyone can type anything."""
    with pytest.raises(InvalidToken):
        crypto.decrypt(token)


def _load_settings(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ID_NUMBER_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import rentcenter.settings"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_keys():
    result = _load_settings(
        DEBUG="0", SECRET_KEY="s" * 50, ALLOW_LOCAL_CACHE="1", IDENTITY_VERIFIER="local"
    )
    assert result.returncode != 0
    assert "ID_NUMBER_KEYS must be set" in result.stderr


def test_production_refuses_to_start_without_hmac_key():
    key = Fernet.generate_key().decode()
    result = _load_settings(
        DEBUG="0",
        SECRET_KEY="s" * 50,
        ALLOW_LOCAL_CACHE="1",
        IDENTITY_VERIFIER="local",
        ID_NUMBER_KEYS=key,
    )
    assert "ID_NUMBER_HMAC_KEY must be set" in result.stderr


def test_refuses_a_malformed_key():
    result = _load_settings(DEBUG="1", ID_NUMBER_KEYS="not-a-key", ID_NUMBER_HMAC_KEY="h" * 40)
    assert "ID_NUMBER_KEYS must be comma-separated Fernet keys" in result.stderr


def test_production_starts_with_keys():
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    result = _load_settings(
        DEBUG="0",
        SECRET_KEY="s" * 50,
        ALLOW_LOCAL_CACHE="1",
        IDENTITY_VERIFIER="local",
        ID_NUMBER_KEYS=keys,
        ID_NUMBER_HMAC_KEY="h" * 40,
    )
    assert result.returncode == 0, result.stderr


def test_development_derives_fixed_keys():
    assert settings.ID_NUMBER_KEYS
    Fernet(settings.ID_NUMBER_KEYS[0])
