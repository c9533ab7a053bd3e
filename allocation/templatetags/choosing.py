"""The plan's 选房规则 for the 配租公告, in public words (allocation/rules.py).

A template tag of this app, so that plans' templates read the rules from the room that enforces
them (the rooms point one way: plans' code never imports allocation's)."""

from django import template

from allocation import rules

register = template.Library()


@register.filter
def choosing_rules(plan) -> list[str]:
    """The 选房规则 the plan's turns apply, from the same rules they run."""
    return rules.published(rules.policy_of(plan.pk))


@register.filter
def has_hall(plan) -> bool:
    """Whether the plan has a 选房大厅 to link to (a session has been set)."""
    return plan.choosing_sessions.exists()
