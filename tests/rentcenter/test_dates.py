"""One date format everywhere (issue 12): 2026年11月28日 05:54 in Beijing time on the pages, in
the PDF record and in admin's lists, each surface checked with the clock pinned."""

from datetime import date, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils.html import strip_tags

from applications.registration import register
from rentcenter.dates import format_day, format_when
from tests.applications.test_pdf import text_of
from tests.clock import beijing
from tests.factories import make_applicant, make_info, make_plan, make_staff

pytestmark = pytest.mark.django_db

# 21:54 UTC on 27 November is 05:54 on the 28th in Beijing: the day must be Beijing's.
INSTANT = datetime.fromisoformat("2026-11-27T21:54:00+00:00")


def test_an_instant_is_written_in_beijing_time():
    assert format_when(INSTANT) == "2026年11月28日 05:54"
    assert format_day(INSTANT) == "2026年11月28日"
    assert format_day(date(2026, 1, 5)) == "2026年1月5日"


def test_the_filters_keep_a_date_on_one_line_and_say_the_instant():
    html = Template("{{ at|when }} / {{ born|day }} / {{ nothing|when }}").render(
        Context({"at": INSTANT, "born": date(1996, 5, 20), "nothing": None})
    )
    assert html == (
        '<time class="date" datetime="2026-11-28T05:54:00+08:00">'
        '<span class="date__day">2026年11月28日</span> 05:54</time> / '
        '<time class="date" datetime="1996-05-20"><span class="date__day">1996年5月20日</span>'
        "</time> / "
    )


@pytest.fixture
def registration(time_machine):
    time_machine.move_to(beijing(2026, 11, 28, 5, 54), tick=False)
    applicant = make_applicant(name="王小明")
    plan = make_plan(starts=beijing(2026, 11, 27, 9), ends=beijing(2026, 12, 10, 17))
    make_info(applicant, plan)
    return register(applicant=applicant, plan=plan, offering=plan.plan_projects.get()).registration


def test_pages_write_dates_the_same_way(client, registration):
    client.force_login(registration.applicant)
    url = reverse("applications:info", args=[registration.plan_id])
    text = strip_tags(client.get(url, follow=True).content.decode())
    assert "提交于 2026年11月28日 05:54" in text
    announcement = strip_tags(
        client.get(reverse("plans:announcement", args=[registration.plan_id])).content.decode()
    )
    assert "2026年12月10日 17:00" in announcement


def test_the_pdf_record_writes_dates_the_same_way(client, registration):
    client.force_login(registration.applicant)
    response = client.get(reverse("applications:record_pdf", args=[registration.number]))
    text = text_of(response.content)  # spaces taken out
    assert "登记时间2026年11月28日05:54" in text
    assert "2026-11" not in text


def test_admin_lists_write_dates_the_same_way(client, registration):
    client.force_login(make_staff(superuser=True))
    html = client.get(reverse("admin:applications_registration_changelist")).content.decode()
    assert "2026年11月28日 05:54" in html
    html = client.get(reverse("admin:applications_applicationinfo_changelist")).content.decode()
    assert "2026年11月28日 05:54" in html
