from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.html import format_html

from accounts.views import dev_sms
from rentcenter import health, media

# A lost database or Redis connection answers 503 with a Chinese page (rentcenter/outage.py).
handler500 = "rentcenter.outage.server_error"
handler400 = "rentcenter.outage.bad_request"

# The name breaks between its phrases, never inside one: a narrow login box left "台" alone on
# the second line (issue 16). Each phrase is an inline block (static/css/admin.css).
admin.site.site_header = format_html(
    '<span class="phrase">{}</span><span class="phrase">{}</span> <span class="phrase">{}</span>',
    "保障性租赁住房",
    "专项配租平台 ·",
    "管理",
)
admin.site.site_title = "配租平台管理"
admin.site.index_title = "管理首页"

urlpatterns = [
    path("", include("plans.urls")),
    path("projects/", include("projects.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("applications.urls")),
    path("", include("lottery.urls")),
    path("", include("allocation.urls")),
    path("privacy/", include("privacy.urls")),
    path("display/", include("rentcenter.display")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Answers only in DEBUG: the last text messages, to log in locally without a phone.
    path("dev/sms/", dev_sms, name="dev_sms"),
]

if settings.SERVE_MEDIA:
    # Local use only (settings refuse SERVE_MEDIA with DEBUG off): nginx serves /media/ with
    # the same headers in production (README, "Deploying for real").
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", media.public, name="media")]
