"""怎样保证公平 (issue 16): the lottery's pages say in three plain sentences how the draw is fair
before they speak of SHA-256, the seed, RFC 3797 and HMAC-SHA256."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from tests.factories import make_plan, make_staff
from tests.lottery.factories import make_drawn_draw, make_ended_plan, make_typed_draw

pytestmark = pytest.mark.django_db

TECHNICAL = ("SHA-256", "种子", "RFC 3797", "HMAC")


def summary_and_after(html: str) -> tuple[list[str], str]:
    """The summary's sentences, and the page's text after the summary."""
    section = re.search(r'<section class="fairness[^"]*".*?</section>', html, re.S)
    assert section, "the page has no 怎样保证公平"
    sentences = re.findall(r"<p>(.*?)</p>", section.group(), re.S)
    return [strip_tags(s) for s in sentences], html[section.end() :]


def test_the_result_page_says_how_the_draw_is_fair_before_the_technical_words(client):
    draw = make_drawn_draw(count=3)

    html = client.get(reverse("lottery:result", args=[draw.plan.pk])).content.decode()

    sentences, after = summary_and_after(html)
    assert len(sentences) == 3
    assert "名单冻结之后才公开开出的号码" in sentences[1]
    assert "任何人都可以下载名单和核验程序自己再算一遍" in sentences[2]
    before = html[: html.index('class="fairness')]
    for word in TECHNICAL:
        assert word not in strip_tags(before)
        assert word not in "".join(sentences)
    assert "SHA-256" in after


def test_before_the_list_is_frozen_the_summary_is_there_too(client):
    plan = make_plan()

    sentences, _ = summary_and_after(
        client.get(reverse("lottery:result", args=[plan.pk])).content.decode()
    )

    assert len(sentences) == 3


def test_a_draw_with_a_typed_seed_says_where_its_seed_came_from(client):
    draw = make_typed_draw(count=3)

    sentences, _ = summary_and_after(
        client.get(reverse("lottery:result", args=[draw.plan.pk])).content.decode()
    )

    assert "来自冻结名单前就已公布的来源" in sentences[1]


def test_staffs_freeze_page_opens_with_the_summary(db):
    client = Client()
    client.force_login(make_staff(superuser=True))
    plan = make_ended_plan()

    html = client.get(reverse("admin:lottery_draw_freeze", args=[plan.pk])).content.decode()

    sentences, after = summary_and_after(html)
    assert len(sentences) == 3
    assert "RFC 3797" in after
