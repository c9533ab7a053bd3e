"""摇号 in admin: 冻结名单 and 录入种子并摇号 pages, and who may use them."""

import pytest
from django.urls import reverse
from django.utils.html import strip_tags
from pytest_django.asserts import (
    assertContains,
    assertNotContains,
    assertRedirects,
    assertTemplateUsed,
)

from lottery import draw as lottery_draw
from lottery.models import Draw, PriorityGroup
from messaging.models import OutboxMessage
from rentcenter import sms
from tests.clock import beijing
from tests.factories import make_plan, make_project, make_staff
from tests.lottery.factories import (
    CANONICAL,
    LOTTERY_SOURCE,
    NOTARY_SOURCE,
    NUMBERS,
    SEED,
    SEED_SOURCE,
    TYPED_SEED,
    freeze_earlier,
    make_drawn_draw,
    make_ended_plan,
    make_frozen_draw,
    make_registrations,
    make_typed_draw,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()


def log_in_manager(client):
    client.force_login(make_staff(group="配租管理员"))
    return client


@pytest.fixture
def manager_client(client):
    return log_in_manager(client)


@pytest.fixture
def reviewer_client(client):
    client.force_login(make_staff(group="资格审核员"))
    return client


def freeze_url(plan, step: str = "") -> str:
    return reverse(f"admin:lottery_draw_freeze{step}", args=[plan.pk])


def run_url(draw, step: str = "") -> str:
    return reverse(f"admin:lottery_draw_run{step}", args=[draw.pk])


FREEZING = beijing(2026, 12, 20, 20, 50)
SOURCES = [
    {"name": LOTTERY_SOURCE, "known_at": "2026-12-20T21:15", "count": "6"},
    {"name": NOTARY_SOURCE, "known_at": "2026-12-20 21:00", "count": "5", "ordered": "on"},
]


def freeze_form(mode: str = "active", sources: list[dict] = SOURCES) -> dict:
    """What the freeze form posts: who draws, and up to three sources."""
    data = {"mode": mode, "sources-TOTAL_FORMS": "3", "sources-INITIAL_FORMS": "0"}
    for number, source in enumerate(sources):
        data.update({f"sources-{number}-{field}": value for field, value in source.items()})
    return data


def numbers_form(lottery: str = "31 07 19 03 25 12", notary: str = "47，08，23，15，31") -> dict:
    return {"source_1": lottery, "source_2": notary}


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


@pytest.mark.time_machine(FREEZING, tick=False)
def test_manager_freezes_the_list_with_its_seed_sources_after_a_confirmation_page(manager_client):
    plan = make_ended_plan()
    make_registrations(plan, 4)
    form_page = manager_client.get(freeze_url(plan))
    assertContains(form_page, "仅审核通过")
    assertContains(form_page, 'name="sources-2-known_at"')

    check = manager_client.post(freeze_url(plan), freeze_form())
    assert check.status_code == 200
    assertContains(check, '<dd id="freeze-count">4 人</dd>', html=True)
    text = strip_tags(check.content.decode())
    assert f"{LOTTERY_SOURCE}：2026年12月20日 21:15 公布，6 个号码，从小到大排序后计入" in text
    assert f"{NOTARY_SOURCE}：2026年12月20日 21:00 公布，5 个号码，按开出顺序计入" in text
    assertContains(check, freeze_url(plan, "_confirm"))
    assert not Draw.objects.exists()  # the confirmation page changes nothing

    response = manager_client.post(freeze_url(plan, "_confirm"), freeze_form())
    draw = Draw.objects.get()
    assertRedirects(response, reverse("admin:lottery_draw_change", args=[draw.pk]))
    assert draw.entry_count == 4
    sources = list(draw.seed_sources.values_list("name", "known_at", "count", "ordered"))
    assert sources == [
        (LOTTERY_SOURCE, beijing(2026, 12, 20, 21, 15), 6, False),
        (NOTARY_SOURCE, beijing(2026, 12, 20, 21, 0), 5, True),
    ]


@pytest.mark.time_machine(FREEZING, tick=False)
def test_the_confirmation_page_goes_back_to_the_form_with_the_values_kept(manager_client):
    plan = make_ended_plan()
    make_registrations(plan, 2)
    back = manager_client.post(freeze_url(plan), {**freeze_form(), "edit": "1"})
    assert back.status_code == 200
    assertTemplateUsed(back, "lottery/admin/freeze.html")
    assertContains(back, f'value="{NOTARY_SOURCE}"')
    assertContains(back, 'value="2026-12-20T21:15"')
    assertNotContains(back, "errornote")


@pytest.mark.time_machine(FREEZING, tick=False)
def test_freeze_form_keeps_values_and_shows_errors(manager_client):
    plan = make_ended_plan()
    sources = [{"name": "", "known_at": "2026-12-20 21:00", "count": "6"}]
    response = manager_client.post(freeze_url(plan), freeze_form("approved", sources))
    assert response.status_code == 200
    assertContains(response, "请填写种子来源。")
    assertContains(response, "errornote")
    assert response.context["form"]["mode"].value() == "approved"
    assertContains(response, 'value="2026-12-20 21:00"')


@pytest.mark.time_machine(FREEZING, tick=False)
def test_refuses_a_source_known_before_the_freeze_beside_its_field(manager_client):
    plan = make_ended_plan()
    make_registrations(plan, 2)
    early = {"name": "双色球 第2026149期", "known_at": "2026-12-19T21:15", "count": "7"}
    response = manager_client.post(freeze_url(plan), freeze_form(sources=[SOURCES[0], early]))
    assert response.status_code == 200
    [errors] = [form.errors for form in response.context["sources"] if form.errors]
    assert errors["known_at"] == [
        "号码公布时间必须晚于现在：只有冻结名单之后才公布的号码，才能证明种子不是事先挑选的。"
    ]
    assertContains(response, 'value="双色球 第2026149期"')
    assert not Draw.objects.exists()


@pytest.mark.time_machine(FREEZING, tick=False)
@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"name": "双色球", "known_at": "明天晚上", "count": "6"}, "请按“年-月-日 时:分”填写"),
        ({"name": "双色球", "known_at": "2026-12-20 21:15", "count": "0"}, "1 到 50 之间"),
        ({"name": "双色球", "known_at": "2026-12-20 21:15", "count": "六"}, "号码个数必须是整数"),
        ({"name": "双色球", "count": "6"}, "请填写号码公布时间。"),
    ],
)
def test_refuses_a_source_that_cannot_be_announced(manager_client, source, message):
    plan = make_ended_plan()
    response = manager_client.post(freeze_url(plan), freeze_form(sources=[source]))
    assert response.status_code == 200
    assertContains(response, message)


@pytest.mark.time_machine(FREEZING, tick=False)
def test_refuses_to_freeze_without_a_seed_source(manager_client):
    plan = make_ended_plan()
    response = manager_client.post(freeze_url(plan), freeze_form(sources=[]))
    assertContains(response, "请至少预告一个种子来源。")
    assertContains(response, "errornote")


def test_confirming_a_freeze_checks_the_sources_again(client, time_machine):
    # The confirmation page was left open past a source's instant: the form comes back.
    time_machine.move_to(beijing(2026, 12, 20, 21, 1), tick=False)
    manager_client = log_in_manager(client)
    plan = make_ended_plan()
    make_registrations(plan, 2)
    response = manager_client.post(freeze_url(plan, "_confirm"), freeze_form())
    assert response.status_code == 200
    assertContains(response, "号码公布时间必须晚于现在")
    assert not Draw.objects.exists()


def test_freeze_page_says_when_registration_has_not_ended(manager_client):
    plan = make_plan()
    response = manager_client.get(freeze_url(plan))
    assertContains(response, "登记尚未结束")
    assertNotContains(response, "下一步")


@pytest.mark.time_machine(FREEZING, tick=False)
def test_refused_freeze_shows_why(manager_client):
    plan = make_ended_plan()
    response = manager_client.post(freeze_url(plan, "_confirm"), freeze_form(), follow=True)
    assertContains(response, "没有符合条件的登记")
    assert not Draw.objects.exists()


def test_manager_enters_the_numbers_checks_the_seed_and_draws(
    manager_client, django_capture_on_commit_callbacks
):
    plan = make_ended_plan()
    make_registrations(plan, 5)
    draw = freeze_earlier(plan, by=make_staff())
    form_page = manager_client.get(run_url(draw))
    assertContains(form_page, "录入号码并摇号")
    assertContains(
        form_page, f'<label class="required" for="id_source_1">{LOTTERY_SOURCE}：</label>'
    )
    assertContains(form_page, "5 个号码，按开出顺序计入")

    check = manager_client.post(run_url(draw), numbers_form())
    assertContains(check, f'<code id="check-hash">{draw.list_sha256}</code>', html=True)
    assertContains(check, f'<code id="check-canonical">{CANONICAL}</code>', html=True)
    assertContains(check, f'<code id="check-seed">{SEED}</code>', html=True)
    assertContains(check, "<code>31 7 19 3 25 12</code>", html=True)
    draw.refresh_from_db()
    assert not draw.is_drawn

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(run_url(draw, "_confirm"), numbers_form())
    assertRedirects(response, reverse("admin:lottery_draw_change", args=[draw.pk]))
    draw.refresh_from_db()
    assert (draw.is_drawn, draw.seed) == (True, SEED)
    numbers = list(draw.seed_sources.values_list("numbers", flat=True))
    assert numbers == ["31 7 19 3 25 12", "47 8 23 15 31"]
    assert len(sms.outbox) == 5
    page = manager_client.get(reverse("admin:lottery_draw_change", args=[draw.pk]))
    assertContains(page, "已发送 5 · 待发送 0 · 失败 0（共 5 条）")
    assertContains(page, CANONICAL)
    assertContains(page, reverse("lottery:seed_txt", args=[plan.pk]))


def test_the_draw_confirmation_goes_back_to_the_numbers_as_typed(manager_client):
    plan = make_ended_plan()
    make_registrations(plan, 2)
    draw = freeze_earlier(plan, by=make_staff())
    back = manager_client.post(run_url(draw), {**numbers_form(), "edit": "1"})
    assertTemplateUsed(back, "lottery/admin/draw.html")
    assertContains(back, 'value="31 07 19 03 25 12"')
    assertContains(back, 'value="47，08，23，15，31"')
    draw.refresh_from_db()
    assert not draw.is_drawn


def test_refuses_numbers_before_their_source_has_published_them(client, time_machine):
    time_machine.move_to(FREEZING, tick=False)
    draw = make_frozen_draw(count=2)  # the notary's numbers at 21:00, the lottery's at 21:05
    time_machine.move_to(beijing(2026, 12, 20, 21, 2), tick=False)
    manager_client = log_in_manager(client)
    response = manager_client.post(run_url(draw), numbers_form())
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {
        "source_1": ["该来源的号码 2026年12月20日 21:05 才公布，现在还不能录入。"]
    }
    assertContains(response, 'value="31 07 19 03 25 12"')
    confirm = manager_client.post(run_url(draw, "_confirm"), numbers_form())
    assert confirm.status_code == 200
    assertContains(confirm, "21:05 才公布")
    draw.refresh_from_db()
    assert not draw.is_drawn


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        (numbers_form(lottery="31 07 19 03 25"), "该来源应有 6 个号码，您录入了 5 个。"),
        (numbers_form(lottery="31 07 19 03 25 1.5"), "“1.5”不是整数"),
        (numbers_form(lottery="31 07 19 03 25 -1"), "“-1”不是整数"),
        (numbers_form(lottery="1 2 3 4 5 " + "9" * 19), "每个号码最多 18 位"),
        (numbers_form(notary=""), f"请录入“{NOTARY_SOURCE}”的号码。"),
    ],
)
def test_refuses_numbers_that_are_not_what_the_source_announced(manager_client, numbers, message):
    plan = make_ended_plan()
    make_registrations(plan, 2)
    draw = freeze_earlier(plan, by=make_staff())
    response = manager_client.post(run_url(draw), numbers)
    assert response.status_code == 200
    assertContains(response, message)
    assertContains(response, "errornote")


def test_full_width_digits_and_commas_are_the_same_numbers(manager_client):
    plan = make_ended_plan()
    make_registrations(plan, 2)
    draw = freeze_earlier(plan, by=make_staff())
    check = manager_client.post(run_url(draw), numbers_form(lottery="３１、０７、19,3 25；12"))
    assertContains(check, f'<code id="check-seed">{SEED}</code>', html=True)


def test_a_list_frozen_with_a_source_in_words_is_still_drawn_with_a_typed_seed(manager_client):
    draw = make_typed_draw(count=3, drawn=False)
    form_page = manager_client.get(run_url(draw))
    assertContains(form_page, "录入种子并摇号")
    assertContains(form_page, SEED_SOURCE)  # the announced source, offered as the default
    form = {"seed": f"  {TYPED_SEED} ", "seed_source": SEED_SOURCE}
    check = manager_client.post(run_url(draw), form)
    assertContains(check, f'<code id="check-seed">{TYPED_SEED}</code>', html=True)
    response = manager_client.post(run_url(draw, "_confirm"), {**form, "seed": TYPED_SEED})
    assertRedirects(response, reverse("admin:lottery_draw_change", args=[draw.pk]))
    draw.refresh_from_db()
    assert (draw.is_drawn, draw.seed_rule, draw.seed) == (True, "typed", TYPED_SEED)
    page = manager_client.get(reverse("admin:lottery_draw_change", args=[draw.pk]))
    assertContains(page, SEED_SOURCE)
    assertNotContains(page, reverse("lottery:seed_txt", args=[draw.plan_id]))


def test_a_drawn_result_is_read_only_in_admin(manager_client):
    draw = make_drawn_draw(count=3)
    response = manager_client.get(reverse("admin:lottery_draw_change", args=[draw.pk]))
    assert response.status_code == 200
    assertContains(response, draw.seed)
    assertNotContains(response, run_url(draw))
    assertNotContains(response, 'name="_save"')
    again = manager_client.post(run_url(draw, "_confirm"), numbers_form())
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


@pytest.mark.time_machine(FREEZING, tick=False)
def test_reviewer_may_look_but_not_freeze_or_draw(reviewer_client):
    plan = make_ended_plan()
    make_registrations(plan, 2)
    frozen = freeze_earlier(plan, by=make_staff())
    plan = make_ended_plan()
    form = freeze_form()
    assert reviewer_client.get(freeze_url(plan)).status_code == 403
    assert reviewer_client.post(freeze_url(plan), form).status_code == 403
    assert reviewer_client.post(freeze_url(plan, "_confirm"), form).status_code == 403
    numbers = numbers_form()
    assert reviewer_client.get(run_url(frozen)).status_code == 403
    assert reviewer_client.post(run_url(frozen), numbers).status_code == 403
    assert reviewer_client.post(run_url(frozen, "_confirm"), numbers).status_code == 403
    view = reviewer_client.get(reverse("admin:lottery_draw_change", args=[frozen.pk]))
    assert view.status_code == 200
    assertContains(view, frozen.list_sha256)
    # the announced sources, no numbers yet
    assertContains(view, f"{LOTTERY_SOURCE}（2026年12月20日 20:35")
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


def test_the_draw_page_shows_how_far_the_texts_have_gone(manager_client):
    plan = make_ended_plan()
    make_registrations(plan, 3)
    draw = freeze_earlier(plan, by=make_staff())
    page = manager_client.get(reverse("admin:lottery_draw_change", args=[draw.pk]))
    assertContains(page, "摇号后向每位入围申请人发送顺序号短信。")
    # Drawn in the test's transaction: the texts are rows, not yet sent.
    draw = lottery_draw.draw(plan=plan, numbers=NUMBERS, by=make_staff())
    OutboxMessage.objects.filter(pk=OutboxMessage.objects.first().pk).update(status="failed")
    page = manager_client.get(reverse("admin:lottery_draw_change", args=[draw.pk]))
    assertContains(page, "已发送 0 · 待发送 2 · 失败 1（共 3 条）")
    assertContains(page, f"?reference=draw:{draw.pk}")
