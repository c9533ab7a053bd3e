"""The plan's 粗筛选 conditions for the 配租公告 and 项目详情 pages, in public words.

A template tag of this app, so that the plans' templates read the rules from the room that
screens by them (the rooms point one way: plans' code never imports applications')."""

from django import template

from applications import eligibility

register = template.Library()


@register.filter
def screening_rules(plan) -> list[str]:
    """The conditions the screening applies to this plan, from the same rules it runs."""
    return eligibility.published(plan)


@register.filter
def unmet_remedy(fixable: bool) -> str:
    """What the applicant can do about one unmet rule: whether 修改填报信息 can change it."""
    return eligibility.remedy(fixable)
