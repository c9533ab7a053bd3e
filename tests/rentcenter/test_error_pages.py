"""`manage.py build_error_pages`: what nginx answers by itself is the site's own page in
Chinese (deploy/nginx.conf's error_page lines), rendered at release from the templates."""

import io
import re
import stat

from django.core.management import call_command

from rentcenter.outage import unavailable


def build(tmp_path, settings) -> dict[str, str]:
    settings.STATIC_ROOT = tmp_path
    call_command("build_error_pages", stdout=io.StringIO())
    return {page.name: page.read_text() for page in (tmp_path / "errors").iterdir()}


def test_writes_the_pages_nginx_shows(tmp_path, settings):
    pages = build(tmp_path, settings)
    assert set(pages) == {"413.html", "503.html"}
    too_large = pages["413.html"]
    assert "<title>上传的文件太大 · 保障性租赁住房专项配租平台</title>" in too_large
    assert "没有保存" in too_large
    assert "返回网站首页" in too_large
    assert '技术支持电话：<a href="tel:01081120588">010-81120588</a>' in too_large
    assert re.search(r'<link rel="stylesheet" href="/static/css/site[.\w]*\.css">', too_large)
    for name in pages:
        mode = stat.S_IMODE((tmp_path / "errors" / name).stat().st_mode)
        assert mode == 0o644, name  # nginx's workers are another user


def test_the_503_page_is_the_one_django_answers_an_outage_with(tmp_path, settings):
    assert build(tmp_path, settings)["503.html"] == unavailable().content.decode()


def test_writing_again_replaces_the_pages(tmp_path, settings):
    build(tmp_path, settings)
    settings.SUPPORT_PHONE = "010-12345678"
    assert "010-12345678" in build(tmp_path, settings)["413.html"]
