from django.conf import settings
from django.http import HttpRequest

from rentcenter.display import is_elder


def site(request: HttpRequest) -> dict[str, object]:
    """The service contact printed in every page's footer (manual, 八、服务联系方式) and the
    display mode (长辈模式, rentcenter/display.py)."""
    return {
        "support_phone": settings.SUPPORT_PHONE,
        "support_hours": settings.SUPPORT_HOURS,
        "elder_mode": is_elder(request),
    }
