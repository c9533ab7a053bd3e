from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    """The service contact printed in every page's footer (manual, 八、服务联系方式)."""
    return {"support_phone": settings.SUPPORT_PHONE, "support_hours": settings.SUPPORT_HOURS}
