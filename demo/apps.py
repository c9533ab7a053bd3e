from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for a local site (`manage.py seed_demo`). It sits above every other app, last in
    INSTALLED_APPS, since seeding a demo touches them all; nothing imports it."""

    name = "demo"
    verbose_name = "演示数据"
