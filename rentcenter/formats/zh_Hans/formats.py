"""The site's one way of writing a date (pages, PDF records, admin): 2026年11月28日 05:54 in
Beijing time, 2026年11月28日 for a day. Django's own zh-Hans formats say the same today; they are
stated here so that admin lists, `{{ value|date }}` and `rentcenter.dates` cannot drift apart
with a Django upgrade. Python code formats through `rentcenter.dates`, templates through its
`when` and `day` filters."""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
FIRST_DAY_OF_WEEK = 1
