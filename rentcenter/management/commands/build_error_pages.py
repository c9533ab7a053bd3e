"""`manage.py build_error_pages`: the site's own pages for what nginx answers by itself.

deploy/nginx.conf answers a few requests without Django: a request body above its
client_max_body_size (413), and any request no web server answered (502, 504, sent as 503). A
visitor then reads the site's page in Chinese, not nginx's English one: templates/413.html and
the outage page Django itself answers with (templates/503.html), rendered here into
STATIC_ROOT/errors/, where nginx's `location ^~ /errors/` reads them. Run at each release after
collectstatic (the release job of deploy/compose.yaml), so the pages name that release's style
sheet.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.template.loader import render_to_string

from rentcenter.outage import standalone_context

# The pages deploy/nginx.conf's error_page lines name: 413, and 503 for 502 and 504.
PAGES = ("413.html", "503.html")


class Command(BaseCommand):
    help = "Writes the pages nginx shows when it answers by itself (413, 503) into STATIC_ROOT."

    def handle(self, *args: object, **options: object) -> None:
        folder = Path(settings.STATIC_ROOT) / "errors"
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
        for name in PAGES:
            page = folder / name
            page.write_text(render_to_string(name, standalone_context()), encoding="utf-8")
            page.chmod(0o644)  # read by nginx's workers, another user than the release job's
            self.stdout.write(str(page))
