from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def remaining(target: datetime) -> str:
    """Time left until target, in the words of a countdown: 2 天 3 小时 5 分."""
    seconds = max(0, int((target - timezone.now()).total_seconds()))
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes = seconds // 60
    if days:
        return f"{days} 天 {hours} 小时 {minutes} 分"
    if hours:
        return f"{hours} 小时 {minutes} 分"
    return f"{minutes} 分"
