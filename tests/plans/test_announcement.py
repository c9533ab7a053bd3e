from datetime import timedelta

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from plans.models import Plan
from tests.factories import make_announcement, make_attachment, make_plan, make_project, pdf_of_size


def url(plan: Plan) -> str:
    return reverse("plans:announcement", args=[plan.pk])


def test_shows_the_plan_with_its_announcement(client, db):
    plan = make_plan()
    make_announcement(
        plan, title="关于第四批专项配租的公告", body="## 申请条件\n\n- 年满18周岁\n- 本市无房"
    )
    response = client.get(url(plan))
    assert response.status_code == 200
    assertContains(response, f"<h1>{plan.title}</h1>", html=True)
    assertContains(response, "关于第四批专项配租的公告")
    assertContains(response, "<h4>申请条件</h4>", html=True)
    assertContains(response, "<li>本市无房</li>", html=True)


def test_shows_published_announcements_only(client, db, now):
    plan = make_plan()
    make_announcement(plan, title="已发布的公告", published_at=now - timedelta(minutes=1))
    make_announcement(plan, title="明天发布的公告", published_at=now + timedelta(days=1))
    response = client.get(url(plan))
    assertContains(response, "已发布的公告")
    assertNotContains(response, "明天发布的公告")


def test_says_so_when_no_announcement_is_published_yet(client, db, now):
    plan = make_plan()
    make_announcement(plan, title="明天发布的公告", published_at=now + timedelta(days=1))
    assertContains(client.get(url(plan)), "该计划的配租公告尚未发布。")


def test_lists_attachments_with_their_size(client, db):
    plan = make_plan()
    attachment = make_attachment(
        make_announcement(plan), title="申请表格", content=pdf_of_size(300 * 1024)
    )
    response = client.get(url(plan))
    assertContains(
        response,
        f'<a href="{attachment.file.url}" type="application/pdf">'
        f"申请表格（PDF，{filesizeformat(300 * 1024)}）</a>",
        html=True,
    )


def test_announcement_body_is_sanitised_on_the_page(client, db):
    plan = make_plan()
    make_announcement(plan, body="正文<script>document.title='x'</script><b onclick=\"x()\">粗</b>")
    response = client.get(url(plan))
    assertNotContains(response, "document.title")
    assertNotContains(response, "onclick")
    assertContains(response, "<b>粗</b>", html=True)


def test_lists_the_projects_of_the_plan(client, db):
    project = make_project(name="运河城市公寓")
    plan = make_plan(projects=[project])
    assertContains(
        client.get(url(plan)), f'<a href="{project.get_absolute_url()}">运河城市公寓</a>'
    )


def test_open_plan_offers_filling_and_registering(client, db, now):
    plan = make_plan(starts=now - timedelta(hours=1))
    response = client.get(url(plan))
    assertContains(response, f'href="{reverse("applications:fill", args=[plan.pk])}"')
    assertContains(response, f'href="{reverse("applications:register", args=[plan.pk])}"')


def test_closed_plan_stays_visible_and_is_marked_ended(client, db):
    plan = make_plan(status=Plan.Status.CLOSED)
    make_announcement(plan, title="已关闭计划的公告")
    response = client.get(url(plan))
    assert response.status_code == 200
    assertContains(response, "已关闭计划的公告")
    assertContains(response, '<span class="badge badge--ended">已结束</span>', html=True)
    assertNotContains(response, "立即登记")
    assertNotContains(response, "填报信息")


def test_draft_plan_is_not_found(client, db):
    plan = make_plan(status=Plan.Status.DRAFT)
    make_announcement(plan)
    assert client.get(url(plan)).status_code == 404


def test_unknown_plan_is_not_found(client, db):
    assert client.get(reverse("plans:announcement", args=[987654])).status_code == 404


def test_refuses_post(client, db):
    assert client.post(url(make_plan())).status_code == 405


def test_runs_the_same_queries_for_many_announcements_and_attachments(
    client, db, django_assert_num_queries
):
    plan = make_plan(projects=[make_project() for _ in range(5)])
    for _ in range(4):
        announcement = make_announcement(plan)
        make_attachment(announcement)
        make_attachment(announcement)
    # plan, announcements, their attachments, the offered projects, its 选房规则 and whether it
    # has a 选房大厅; then when the page next changes by itself (plans' dates, announcements'
    # publication)
    with django_assert_num_queries(8):
        response = client.get(url(plan))
    assert response.content.decode().count('type="application/pdf"') == 8
    with django_assert_num_queries(0):  # from the cache
        assert client.get(url(plan)).content == response.content
