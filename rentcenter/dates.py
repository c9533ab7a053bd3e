"""One date format everywhere (issue 12): 2026年11月28日 05:54, Beijing time; a day alone is
2026年11月28日. The formats are DATETIME_FORMAT and DATE_FORMAT of `rentcenter/formats/zh_Hans`,
which Django admin's lists use too; Python code calls `format_when` / `format_day`, templates
the filters `when` and `day` (built in, see TEMPLATES in settings).

On a page a date is a `<time>` with the machine-readable instant in its `datetime` attribute; its
day does not break inside ("2026年12月10日" stays on one line on a phone: `.date__day` is
`white-space: nowrap` in site.css), while the time may go to the next line in a narrow column.
"""

from datetime import date, datetime

from django import template
from django.conf import settings
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString


def _site_format(name: str) -> str:
    # The site's language, whatever language is active (a management command, a test).
    return formats.get_format(name, lang=settings.LANGUAGE_CODE)


def format_when(value: datetime) -> str:
    """An instant as 2026年11月28日 05:54, in the site's time zone."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, _site_format("DATETIME_FORMAT"))


def format_day(value: date | datetime) -> str:
    """A day as 2026年11月28日 (an instant: its day in the site's time zone)."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, _site_format("DATE_FORMAT"))


register = template.Library()


@register.filter(expects_localtime=True)
def when(value: datetime | None) -> SafeString | str:
    """`{{ registration.created_at|when }}`: 2026年11月28日 05:54 in a <time class="date">."""
    if not value:
        return ""
    day, time = format_when(value).split(" ")
    return format_html(
        '<time class="date" datetime="{}"><span class="date__day">{}</span> {}</time>',
        value.isoformat(),
        day,
        time,
    )


@register.filter(expects_localtime=True)
def day(value: date | datetime | None) -> SafeString | str:
    """`{{ info.birth_date|day }}`: 2026年11月28日 in a <time class="date">."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return format_html(
        '<time class="date" datetime="{}"><span class="date__day">{}</span></time>',
        value.isoformat(),
        format_day(value),
    )
