import pytest

from messaging.outbox import Kind, queue_text

pytestmark = pytest.mark.django_db


def test_lists_the_last_texts_in_debug(client, settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    settings.DEV_SMS_PAGE = True
    with django_capture_on_commit_callbacks(execute=True):
        queue_text(phone="+8613800138000", text="您的验证码为123456", kind=Kind.CODE)
    page = client.get("/dev/sms/").content.decode()
    assert "+8613800138000" in page
    assert "您的验证码为123456" in page


def test_reads_the_file_backend(client, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    settings.DEV_SMS_PAGE = True
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    with django_capture_on_commit_callbacks(execute=True):
        queue_text(phone="+8613800138000", text="您的验证码为654321", kind=Kind.CODE)
    assert "您的验证码为654321" in client.get("/dev/sms/").content.decode()


def test_says_where_to_look_with_the_console_backend(client, settings):
    settings.DEBUG = True
    settings.DEV_SMS_PAGE = True
    settings.SMS_BACKEND = "console"
    assert "不保存短信" in client.get("/dev/sms/").content.decode()


def test_does_not_exist_without_debug(client, settings):
    settings.DEBUG = False
    settings.DEV_SMS_PAGE = True
    assert client.get("/dev/sms/").status_code == 404


def test_does_not_exist_in_debug_unless_asked_for(client, settings):
    """DEBUG alone does not list live codes to anyone (issue #10, finding 5)."""
    settings.DEBUG = True
    settings.DEV_SMS_PAGE = False
    assert client.get("/dev/sms/").status_code == 404


def test_refuses_post(client, settings):
    settings.DEBUG = True
    settings.DEV_SMS_PAGE = True
    assert client.post("/dev/sms/").status_code == 405
