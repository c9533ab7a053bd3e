"""摇号 in admin: 冻结名单 and 录入种子并摇号 pages, and who may use them."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from lottery.models import Draw, PriorityGroup
from rentcenter import sms
from tests.factories import make_plan, make_project, make_staff
from tests.lottery.factories import (
    SEED,
    SEED_SOURCE,
    make_drawn_draw,
    make_ended_plan,
    make_frozen_draw,
    make_registrations,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()


@pytest.fixture
def manager_client(client):
    client.force_login(make_staff(group="配租管理员"))
    return client


@pytest.fixture
def reviewer_client(client):
    client.force_login(make_staff(group="资格审核员"))
    return client


def freeze_url(plan, step: str = "") -> str:
    return reverse(f"admin:lottery_draw_freeze{step}", args=[plan.pk])


def run_url(draw, step: str = "") -> str:
    return reverse(f"admin:lottery_draw_run{step}", args=[draw.pk])


def test_plan_page_offers_to_freeze_once_registration_has_ended(manager_client):
    plan = make_ended_plan()
    response = manager_client.get(reverse("admin:plans_plan_change", args=[plan.pk]))
    assertContains(response, freeze_url(plan))
    open_plan = make_plan()
    response = manager_client.get(reverse("admin:plans_plan_change", args=[open_plan.pk]))
    assertContains(response, "登记结束后可冻结名单")


def test_plan_page_links_to_its_draw(manager_client):
    draw = make_frozen_draw(count=3)
    response = manager_client.get(reverse("admin:plans_plan_change", args=[draw.plan_id]))
    assertContains(response, reverse("admin:lottery_draw_change", args=[draw.pk]))
    assertContains(response, "名单已冻结（3 人）")


def test_manager_freezes_the_list_after_a_confirmation_page(manager_client):
    plan = make_ended_plan()
    make_registrations(plan, 4)
    assertContains(manager_client.get(freeze_url(plan)), "仅审核通过")

    form = {"mode": "active", "seed_source": SEED_SOURCE}
    check = manager_client.post(freeze_url(plan), form)
    assert check.status_code == 200
    assertContains(check, '<dd id="freeze-count">4 人</dd>', html=True)
    assertContains(check, freeze_url(plan, "_confirm"))
    assert not Draw.objects.exists()  # the confirmation page changes nothing

    response = manager_client.post(freeze_url(plan, "_confirm"), form)
    draw = Draw.objects.get()
    assertRedirects(response, reverse("admin:lottery_draw_change", args=[draw.pk]))
    assert (draw.entry_count, draw.announced_seed_source) == (4, SEED_SOURCE)


def test_freeze_form_keeps_values_and_shows_errors(manager_client):
    plan = make_ended_plan()
    response = manager_client.post(freeze_url(plan), {"mode": "approved", "seed_source": ""})
    assert response.status_code == 200
    assertContains(response, "请填写预告的种子来源。")
    assert response.context["form"]["mode"].value() == "approved"
    assertContains(response, "errornote")


def test_freeze_page_says_when_registration_has_not_ended(manager_client):
    plan = make_plan()
    response = manager_client.get(freeze_url(plan))
    assertContains(response, "登记尚未结束")
    assertNotContains(response, "下一步")


def test_refused_freeze_shows_why(manager_client):
    plan = make_ended_plan()
    form = {"mode": "active", "seed_source": SEED_SOURCE}
    response = manager_client.post(freeze_url(plan, "_confirm"), form, follow=True)
    assertContains(response, "没有符合条件的登记")
    assert not Draw.objects.exists()


def test_manager_enters_the_seed_checks_the_hash_and_draws(
    manager_client, django_capture_on_commit_callbacks
):
    draw = make_frozen_draw(count=5)
    form_page = manager_client.get(run_url(draw))
    assertContains(form_page, SEED_SOURCE)  # the announced source, offered as the default

    form = {"seed": f"  {SEED} ", "seed_source": SEED_SOURCE}
    check = manager_client.post(run_url(draw), form)
    assertContains(check, f'<code id="check-hash">{draw.list_sha256}</code>', html=True)
    assertContains(check, f'<code id="check-seed">{SEED}</code>', html=True)
    draw.refresh_from_db()
    assert not draw.is_drawn

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(run_url(draw, "_confirm"), {**form, "seed": SEED})
    assertRedirects(response, reverse("admin:lottery_draw_change", args=[draw.pk]))
    draw.refresh_from_db()
    assert (draw.is_drawn, draw.seed) == (True, SEED)
    assert len(sms.outbox) == 5


def test_a_drawn_result_is_read_only_in_admin(manager_client):
    draw = make_drawn_draw(count=3)
    response = manager_client.get(reverse("admin:lottery_draw_change", args=[draw.pk]))
    assert response.status_code == 200
    assertContains(response, draw.seed)
    assertNotContains(response, run_url(draw))
    assertNotContains(response, 'name="_save"')
    again = manager_client.post(run_url(draw, "_confirm"), {"seed": "1", "seed_source": "x"})
    assertRedirects(again, reverse("admin:lottery_draw_change", args=[draw.pk]))
    draw.refresh_from_db()
    assert draw.seed == SEED
    assert manager_client.get(run_url(draw)).status_code == 302


def test_admin_lists_draws_and_entries(manager_client):
    draw = make_drawn_draw(count=3)
    assertContains(manager_client.get(reverse("admin:lottery_draw_changelist")), draw.plan.title)
    entries = manager_client.get(reverse("admin:lottery_entry_changelist"))
    assertContains(entries, draw.entries.first().code)
    assert manager_client.get(reverse("admin:lottery_draw_add")).status_code == 403
    delete = reverse("admin:lottery_draw_delete", args=[draw.pk])
    assert manager_client.get(delete).status_code == 403


def test_manager_defines_priority_groups_until_the_list_is_frozen(manager_client):
    project = make_project()
    plan = make_ended_plan(projects=[project])
    offering = plan.plan_projects.get()
    response = manager_client.post(
        reverse("admin:lottery_prioritygroup_add"),
        {
            "plan": plan.pk,
            "position": 1,
            "name": "第一组",
            "memberships-TOTAL_FORMS": 1,
            "memberships-INITIAL_FORMS": 0,
            "memberships-0-offering": offering.pk,
        },
    )
    assert response.status_code == 302, response.context["errors"]
    group = PriorityGroup.objects.get()
    assert list(group.offerings.all()) == [offering]
    make_frozen_draw(plan, count=1)
    change = manager_client.get(reverse("admin:lottery_prioritygroup_change", args=[group.pk]))
    assertNotContains(change, 'name="_save"')


def test_priority_group_takes_projects_of_its_own_plan_only(manager_client):
    plan, other = make_ended_plan(), make_ended_plan()
    response = manager_client.post(
        reverse("admin:lottery_prioritygroup_add"),
        {
            "plan": plan.pk,
            "position": 1,
            "name": "第一组",
            "memberships-TOTAL_FORMS": 1,
            "memberships-INITIAL_FORMS": 0,
            "memberships-0-offering": other.plan_projects.get().pk,
        },
    )
    assert response.status_code == 200
    assertContains(response, "只能选择本配租计划的项目小区。")
    assert not PriorityGroup.objects.exists()


def test_reviewer_may_look_but_not_freeze_or_draw(reviewer_client):
    frozen = make_frozen_draw(count=2)
    plan = make_ended_plan()
    form = {"mode": "active", "seed_source": SEED_SOURCE}
    assert reviewer_client.get(freeze_url(plan)).status_code == 403
    assert reviewer_client.post(freeze_url(plan), form).status_code == 403
    assert reviewer_client.post(freeze_url(plan, "_confirm"), form).status_code == 403
    seed = {"seed": SEED, "seed_source": SEED_SOURCE}
    assert reviewer_client.get(run_url(frozen)).status_code == 403
    assert reviewer_client.post(run_url(frozen), seed).status_code == 403
    assert reviewer_client.post(run_url(frozen, "_confirm"), seed).status_code == 403
    view = reviewer_client.get(reverse("admin:lottery_draw_change", args=[frozen.pk]))
    assert view.status_code == 200
    assertContains(view, frozen.list_sha256)
    assert reviewer_client.get(reverse("admin:lottery_entry_changelist")).status_code == 200
    assert not Draw.objects.filter(plan=plan).exists()
    frozen.refresh_from_db()
    assert not frozen.is_drawn


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    draw = make_frozen_draw(count=1)
    response = client.get(run_url(draw))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_confirmations_take_post_only(manager_client):
    draw = make_frozen_draw(count=1)
    assert manager_client.get(run_url(draw, "_confirm")).status_code == 405
    assert manager_client.get(freeze_url(make_ended_plan(), "_confirm")).status_code == 405
