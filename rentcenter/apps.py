from django.apps import AppConfig


class RentcenterConfig(AppConfig):
    """The site's own management commands and deployment checks; it holds no models."""

    name = "rentcenter"
    verbose_name = "平台"

    def ready(self) -> None:
        from rentcenter import checks  # noqa: F401 (registers the checks)
