"""信息填报 and 修改 (manual 4.1, 4.2): applications.views.info.fill and the form's side buttons."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from applications.models import ApplicationDraft, ApplicationInfo, Document, FamilyMember
from rentcenter import crypto
from tests.clock import AFTER_MIDNIGHT, MORNING
from tests.factories import (
    INFO_FIELDS,
    REQUIRED_KINDS,
    id_number_for,
    image_upload,
    make_applicant,
    make_info,
    make_plan,
    make_user,
)

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> dict:
    data = {**INFO_FIELDS, "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"}
    data.update(overrides)
    return data


def with_uploads(data: dict, kinds=REQUIRED_KINDS) -> dict:
    return {**data, **{f"upload_{kind}": image_upload(f"{kind}.jpg") for kind in kinds}}


def member(index: int, name: str, relation: str, number: str, token: str = "") -> dict:
    prefix = f"members-{index}-"
    return {
        f"{prefix}name": name,
        f"{prefix}relation": relation,
        f"{prefix}id_number": number,
        f"{prefix}id_token": token,
    }


@pytest.fixture
def applicant():
    return make_applicant(name="王小明")


@pytest.fixture
def plan():
    return make_plan()


@pytest.fixture
def signed_in(client: Client, applicant) -> Client:
    client.force_login(applicant)
    return client


def fill_url(plan) -> str:
    return reverse("applications:fill", args=[plan.pk])


def test_anonymous_visitor_is_sent_to_login_and_back(client, plan):
    response = client.get(fill_url(plan))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert "next=" in response.url
    assert fill_url(plan).replace("/", "%2F") in response.url


def test_user_without_real_name_is_sent_to_verify_first(client, plan):
    client.force_login(make_user())
    response = client.get(fill_url(plan))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:profile"))


def test_form_shows_real_name_facts_instead_of_asking(signed_in, applicant, plan):
    response = signed_in.get(fill_url(plan))
    html = response.content.decode()
    assert response.status_code == 200
    assert "王小明" in html
    assert applicant.masked_id_number in html
    assert applicant.id_number not in html
    assert 'name="real_name"' not in html
    assert "所有带" in html
    assert 'class="required"' in html
    for section in (
        "基本情况",
        "户籍与居住",
        "工作与社保",
        "住房情况",
        "家庭成员",
        "紧急联系人",
        "上传材料",
    ):
        assert section in html
    assert "学历证明" not in html  # the plan does not ask for education


def test_submit_creates_version_one_with_documents_and_confirmation(signed_in, applicant, plan):
    response = signed_in.post(fill_url(plan), with_uploads(form_data()))
    info = ApplicationInfo.objects.get(applicant=applicant, plan=plan)
    assert response.status_code == 302
    assert response.url == reverse("applications:submitted", args=[plan.pk, info.reference])
    assert info.version == 1
    assert info.real_name == "王小明"
    assert info.id_number == applicant.id_number
    assert sorted(info.documents.values_list("kind", flat=True)) == sorted(REQUIRED_KINDS)
    assert not ApplicationDraft.objects.filter(applicant=applicant, plan=plan).exists()
    confirmation = signed_in.get(response.url).content.decode()
    assert info.reference in confirmation
    assert "信息填报已提交" in confirmation


def test_failed_submit_keeps_typed_values_and_saved_uploads(signed_in, applicant, plan):
    data = with_uploads(
        form_data(employer="", contribution_months="abc", current_address="北京市海淀区某路"),
        kinds=("id_front", "id_back"),
    )
    response = signed_in.post(fill_url(plan), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert not ApplicationInfo.objects.exists()
    assert "北京市海淀区某路" in html
    assert 'value="abc"' in html
    assert "提交未成功" in html
    assert 'href="#field-employer"' in html
    assert "工作单位：请填写工作单位。" in html
    assert 'href="#field-contribution_months"' in html
    assert "请填写整数。" in html
    assert 'href="#documents-hukou"' in html
    draft = ApplicationDraft.objects.get(applicant=applicant, plan=plan)
    assert sorted(draft.documents.values_list("kind", flat=True)) == ["id_back", "id_front"]
    assert draft.data["fields"]["contribution_months"] == "abc"
    # The next visit starts where the applicant left off, files included.
    again = signed_in.get(fill_url(plan)).content.decode()
    assert "北京市海淀区某路" in again
    assert "id_front.jpg" in again


def test_a_nul_character_is_refused_beside_its_field_and_kept_out_of_the_draft(
    signed_in, applicant, plan
):
    """No keyboard types one; PostgreSQL's JSON would refuse to store it."""
    response = signed_in.post(fill_url(plan), form_data(employer="北京\x00测试公司"))
    assert response.status_code == 200
    assert "工作单位中含有无法识别的字符，请删除后重新填写。" in response.content.decode()
    draft = ApplicationDraft.objects.get(applicant=applicant, plan=plan)
    assert draft.data["fields"]["employer"] == "北京测试公司"
    saved = signed_in.post(
        reverse("applications:save_draft", args=[plan.pk]),
        form_data(**{"members-TOTAL_FORMS": "1", "members-0-name": "李\x00四"}),
    )
    assert saved.status_code == 302
    draft.refresh_from_db()
    assert draft.data["members"][0]["name"] == "李四"


def test_missing_required_document_is_reported_beside_its_kind(signed_in, plan):
    response = signed_in.post(fill_url(plan), with_uploads(form_data(), kinds=REQUIRED_KINDS[:-1]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "社保或个税缴纳证明：请上传此项材料。" in html
    assert not ApplicationInfo.objects.exists()


def test_married_applicant_must_upload_marriage_proof(signed_in, plan):
    response = signed_in.post(fill_url(plan), with_uploads(form_data(marital_status="married")))
    assert response.status_code == 200
    assert "婚姻证明：请上传此项材料。" in response.content.decode()
    data = with_uploads(form_data(marital_status="married"), (*REQUIRED_KINDS, "marriage"))
    assert signed_in.post(fill_url(plan), data).status_code == 302


def test_graduate_plan_asks_for_education_and_its_proof(signed_in, applicant):
    plan = make_plan(asks_education=True)
    html = signed_in.get(fill_url(plan)).content.decode()
    assert "学历证明" in html
    assert 'name="education"' in html
    response = signed_in.post(fill_url(plan), with_uploads(form_data()))
    assert response.status_code == 200
    assert 'href="#field-education"' in response.content.decode()
    data = with_uploads(
        form_data(education="bachelor", graduation_date="2024-06-30"),
        (*REQUIRED_KINDS, "education"),
    )
    assert signed_in.post(fill_url(plan), data).status_code == 302
    info = ApplicationInfo.objects.get(plan=plan)
    assert info.education == "bachelor"
    assert str(info.graduation_date) == "2024-06-30"


@pytest.mark.parametrize(
    ("instant", "today", "tomorrow"),
    [
        (MORNING, "2026-06-01", "2026-06-02"),
        # Beijing's 1 March while UTC is still on 28 February: "today" is Beijing's.
        (AFTER_MIDNIGHT, "2027-03-01", "2027-03-02"),
    ],
)
def test_graduation_in_the_future_is_refused(
    client, applicant, time_machine, instant, today, tomorrow
):
    time_machine.move_to(instant, tick=False)
    client.force_login(applicant)
    signed_in = client
    plan = make_plan(asks_education=True)
    kinds = (*REQUIRED_KINDS, "education")
    data = with_uploads(form_data(education="bachelor", graduation_date=tomorrow), kinds)
    response = signed_in.post(fill_url(plan), data)
    assert "毕业时间不能晚于今天" in response.content.decode()
    data = with_uploads(form_data(education="bachelor", graduation_date=today), kinds)
    assert signed_in.post(fill_url(plan), data).status_code == 302


def test_family_members_are_saved_with_encrypted_id_numbers(signed_in, applicant, plan):
    spouse_number = id_number_for(date(1995, 8, 16), female=True)
    data = with_uploads(
        form_data(
            marital_status="married",
            **{"members-TOTAL_FORMS": "1"},
            **member(0, "李华", "spouse", spouse_number),
        ),
        (*REQUIRED_KINDS, "marriage"),
    )
    assert signed_in.post(fill_url(plan), data).status_code == 302
    saved = FamilyMember.objects.get()
    assert saved.id_number == spouse_number
    assert spouse_number not in saved.id_number_encrypted
    html = signed_in.get(reverse("applications:info", args=[plan.pk])).content.decode()
    assert saved.masked_id_number in html
    assert spouse_number not in html


def test_family_member_checks(signed_in, applicant, plan):
    other = id_number_for(date(2015, 7, 1), sequence=7)
    cases = [
        (member(0, "自己", "other", applicant.id_number), "不能填写申请人本人"),
        (member(0, "错号", "child", "110105201501010000"), "证件号码校验位不正确"),
        ({**member(0, "配偶", "spouse", other)}, "婚姻状况应为已婚"),
        ({**member(0, "甲", "child", other), **member(1, "乙", "child", other)}, "不能重复"),
    ]
    for rows, message in cases:
        total = str(len([k for k in rows if k.endswith("-name")]))
        response = signed_in.post(
            fill_url(plan), form_data(**{"members-TOTAL_FORMS": total}, **rows)
        )
        assert response.status_code == 200
        assert message in response.content.decode(), message


def test_blank_family_row_is_ignored(signed_in, plan):
    data = with_uploads(form_data(**{"members-TOTAL_FORMS": "1"}, **member(0, "", "", "")))
    assert signed_in.post(fill_url(plan), data).status_code == 302
    assert not FamilyMember.objects.exists()


def test_add_member_without_javascript_adds_a_row_and_keeps_typing(signed_in, applicant, plan):
    url = reverse("applications:add_member", args=[plan.pk])
    response = signed_in.post(url, form_data(employer="保存我"))
    assert response.status_code == 302
    assert response.url == fill_url(plan) + "#member-0"
    html = signed_in.get(fill_url(plan)).content.decode()
    assert 'name="members-0-name"' in html
    assert 'value="保存我"' in html


def test_remove_member_keeps_typing_and_asks_to_confirm_before_dropping_the_row(signed_in, plan):
    first = id_number_for(date(2016, 4, 2), sequence=3)
    second = id_number_for(date(2018, 9, 9), sequence=4, female=True)
    rows = {**member(0, "老大", "child", first), **member(1, "老二", "child", second)}
    url = reverse("applications:remove_member", args=[plan.pk, 0])
    data = form_data(employer="保存我", **{"members-TOTAL_FORMS": "2"}, **rows)
    response = signed_in.post(url, data)
    confirm = reverse("applications:confirm_remove_member", args=[plan.pk, 0])
    assert response.url == confirm
    draft = ApplicationDraft.objects.get()
    assert [row["name"] for row in draft.data["members"]] == ["老大", "老二"]  # nothing gone yet
    assert draft.data["fields"]["employer"] == "保存我"

    page = signed_in.get(confirm).content.decode()
    assert "确认删除家庭成员 1？" in page
    assert "老大" in page
    assert f"{first[:6]}********{first[-4:]}" in page
    assert first not in page
    assert "返回填报，不删除" in page

    response = signed_in.post(confirm, {"name": "老大"})
    assert response.url == fill_url(plan) + "#family"
    draft.refresh_from_db()
    assert [row["name"] for row in draft.data["members"]] == ["老二"]
    assert crypto.decrypt(draft.data["members"][0]["id_token"]) == second
    assert draft.data["fields"]["employer"] == "保存我"


def test_remove_member_finds_the_row_below_a_blank_one(signed_in, plan):
    number = id_number_for(date(2017, 1, 3), sequence=7)
    rows = {**member(0, "", "", ""), **member(1, "小宝", "child", number)}
    url = reverse("applications:remove_member", args=[plan.pk, 1])
    response = signed_in.post(url, form_data(**{"members-TOTAL_FORMS": "2"}, **rows))
    # The blank row is not saved, so 小宝 is the first saved member.
    assert response.url == reverse("applications:confirm_remove_member", args=[plan.pk, 0])


def test_remove_a_blank_member_row_needs_no_confirmation(signed_in, plan):
    number = id_number_for(date(2017, 1, 3), sequence=7)
    rows = {**member(0, "小宝", "child", number), **member(1, "", "", "")}
    url = reverse("applications:remove_member", args=[plan.pk, 1])
    response = signed_in.post(url, form_data(**{"members-TOTAL_FORMS": "2"}, **rows))
    assert response.url == fill_url(plan) + "#family"
    assert [row["name"] for row in ApplicationDraft.objects.get().data["members"]] == ["小宝"]


def test_confirming_a_removal_after_the_rows_changed_removes_no_one(signed_in, plan):
    number = id_number_for(date(2017, 1, 3), sequence=7)
    signed_in.post(
        reverse("applications:save_draft", args=[plan.pk]),
        form_data(**{"members-TOTAL_FORMS": "1"}, **member(0, "小宝", "child", number)),
    )
    confirm = reverse("applications:confirm_remove_member", args=[plan.pk, 0])
    response = signed_in.post(confirm, {"name": "别人"}, follow=True)
    assert "家庭成员已有变化，未删除任何人" in response.content.decode()
    assert [row["name"] for row in ApplicationDraft.objects.get().data["members"]] == ["小宝"]
    missing = reverse("applications:confirm_remove_member", args=[plan.pk, 5])
    assert signed_in.get(missing).url == fill_url(plan) + "#family"


def test_confirm_remove_needs_sign_in_and_another_applicant_sees_only_their_own(client, plan):
    confirm = reverse("applications:confirm_remove_member", args=[plan.pk, 0])
    assert client.get(confirm).url.startswith(reverse("accounts:login"))
    client.force_login(make_applicant(name="钱七"))
    assert client.get(confirm).url == fill_url(plan) + "#family"  # no member of theirs


def test_enter_without_javascript_saves_and_says_nothing_else_happened(signed_in, plan):
    html = signed_in.get(fill_url(plan)).content.decode()
    form = html[html.index('<form method="post" action="' + fill_url(plan)) :]
    first_button = form[form.index("<button") : form.index("</button>")]
    # The implicit submission of Enter presses the form's first submit button: 暂存.
    assert reverse("applications:save_draft", args=[plan.pk]) in first_button
    assert 'value="enter"' in first_button
    response = signed_in.post(
        reverse("applications:save_draft", args=[plan.pk]),
        form_data(employer="回车也保存", via="enter"),
        follow=True,
    )
    page = response.content.decode()
    assert "按回车键只会暂存您的填写" in page
    assert 'value="回车也保存"' in page
    assert not ApplicationInfo.objects.exists()
    assert ApplicationDraft.objects.get().data["members"] == []


def test_saved_member_number_is_shown_masked_and_kept_unless_retyped(signed_in, plan):
    number = id_number_for(date(2016, 5, 5), sequence=5)
    signed_in.post(
        reverse("applications:save_draft", args=[plan.pk]),
        form_data(**{"members-TOTAL_FORMS": "1"}, **member(0, "小宝", "child", number)),
    )
    html = signed_in.get(fill_url(plan)).content.decode()
    token = ApplicationDraft.objects.get().data["members"][0]["id_token"]
    masked = f"{number[:6]}********{number[-4:]}"
    assert f'value="{masked}"' in html
    assert number not in html
    data = with_uploads(
        form_data(**{"members-TOTAL_FORMS": "1"}, **member(0, "小宝", "child", masked, token))
    )
    assert signed_in.post(fill_url(plan), data).status_code == 302
    assert FamilyMember.objects.get().id_number == number


def test_tampered_member_token_is_not_trusted(signed_in, plan):
    number = id_number_for(date(2016, 6, 6), sequence=6)
    masked = f"{number[:6]}********{number[-4:]}"
    data = form_data(
        **{"members-TOTAL_FORMS": "1"}, **member(0, "小宝", "child", masked, "not-a-token")
    )
    response = signed_in.post(fill_url(plan), data)
    assert response.status_code == 200
    assert "证件号码应为18位" in response.content.decode()
    assert not ApplicationInfo.objects.exists()


def test_save_draft_keeps_values_without_submitting(signed_in, plan):
    url = reverse("applications:save_draft", args=[plan.pk])
    response = signed_in.post(url, form_data(hukou_location="山东省济南市"))
    assert response.status_code == 302
    assert not ApplicationInfo.objects.exists()
    assert "山东省济南市" in signed_in.get(fill_url(plan)).content.decode()


@pytest.mark.time_machine(MORNING, tick=False)
def test_the_form_says_when_it_was_last_saved_and_how_it_keeps_typing(signed_in, plan):
    html = signed_in.get(fill_url(plan)).content.decode()
    assert "自动暂存" not in html.split('data-autosave-text="')[0]  # not claimed without JS
    assert "请随时点击页面底部的“暂存”" in html
    signed_in.post(reverse("applications:save_draft", args=[plan.pk]), form_data())
    html = signed_in.get(fill_url(plan)).content.decode()
    assert f'已暂存 <time datetime="{MORNING.isoformat()}">{MORNING:%H:%M}</time>' in html


def test_autosave_keeps_the_fields_and_answers_the_saved_line(signed_in, applicant, plan, now):
    url = reverse("applications:save_draft", args=[plan.pk])
    response = signed_in.post(url, form_data(employer="自动保存"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith("已暂存 <time")
    assert "messages" not in response.cookies
    assert ApplicationDraft.objects.get().data["fields"]["employer"] == "自动保存"
    assert not ApplicationInfo.objects.exists()


def test_a_beacon_as_the_page_closes_saves_without_a_message(signed_in, plan):
    url = reverse("applications:save_draft", args=[plan.pk])
    response = signed_in.post(url, form_data(employer="关页前", via="beacon"))
    assert response.status_code == 200
    assert ApplicationDraft.objects.get().data["fields"]["employer"] == "关页前"
    home = signed_in.get(reverse("plans:home")).content.decode()
    assert "已暂存" not in home


def test_autosave_refuses_after_submit_and_while_registered(signed_in, applicant, plan):
    url = reverse("applications:save_draft", args=[plan.pk])
    htmx = {"HX-Request": "true"}
    signed_in.post(fill_url(plan), with_uploads(form_data(submission_key="k1")))
    late = signed_in.post(url, form_data(submission_key="k1"), headers=htmx)
    assert late.status_code == 409
    assert late.content.decode() == "该信息已提交。"
    assert not ApplicationDraft.objects.exists()  # the late save made no draft

    from applications.registration import register

    register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())
    locked = signed_in.post(url, form_data(), headers=htmx)
    assert locked.status_code == 409
    assert "您已登记该配租计划" in locked.content.decode()
    assert not ApplicationDraft.objects.exists()


def test_autosave_after_the_info_window_is_refused(signed_in, applicant, now):
    from datetime import timedelta

    plan = make_plan(info_opens_at=now + timedelta(days=1), starts=now + timedelta(days=2))
    url = reverse("applications:save_draft", args=[plan.pk])
    response = signed_in.post(url, form_data(), headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert not ApplicationDraft.objects.exists()


def test_new_plan_is_prefilled_from_latest_submission_with_the_same_files(signed_in, applicant):
    earlier = make_plan()
    previous = make_info(applicant, earlier, employer="上一次的单位")
    plan = make_plan()
    html = signed_in.get(fill_url(plan)).content.decode()
    assert "已自动带出" in html
    assert 'value="上一次的单位"' in html
    response = signed_in.post(fill_url(plan), form_data(employer="上一次的单位"))
    assert response.status_code == 302
    info = ApplicationInfo.objects.get(plan=plan)
    assert set(info.documents.all()) == set(previous.documents.all())
    assert Document.objects.count() == len(REQUIRED_KINDS)  # linked, not copied


def test_edit_creates_a_new_version_and_keeps_the_old_one(signed_in, applicant, plan):
    first = make_info(applicant, plan, employer="旧单位")
    html = signed_in.get(fill_url(plan)).content.decode()
    assert 'value="旧单位"' in html
    assert signed_in.post(fill_url(plan), form_data(employer="新单位")).status_code == 302
    versions = ApplicationInfo.objects.filter(plan=plan).order_by("version")
    assert [(v.version, v.employer) for v in versions] == [(1, "旧单位"), (2, "新单位")]
    first.refresh_from_db()
    assert first.employer == "旧单位"


def test_edit_is_locked_while_registered(signed_in, applicant, plan):
    from applications.registration import register

    make_info(applicant, plan)
    register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())
    for response in (
        signed_in.get(fill_url(plan)),
        signed_in.post(fill_url(plan), form_data(employer="新单位")),
        signed_in.post(reverse("applications:add_member", args=[plan.pk]), form_data()),
    ):
        assert response.status_code == 302
        assert response.url == reverse("applications:info", args=[plan.pk])
    assert ApplicationInfo.objects.filter(plan=plan).count() == 1
    page = signed_in.get(reverse("applications:info", args=[plan.pk])).content.decode()
    assert page.count("请先在配租记录中取消登记") == 1  # said once, not again as a flash
    assert fill_url(plan) not in page  # no 修改 button


def test_form_is_closed_outside_the_info_window(signed_in, now):
    upcoming = make_plan(starts=now + timedelta(days=10), info_opens_at=now + timedelta(days=3))
    ended = make_plan(starts=now - timedelta(days=10), ends=now - timedelta(days=1))
    for plan in (upcoming, ended):
        response = signed_in.get(fill_url(plan))
        assert response.status_code == 302
        assert response.url == reverse("plans:announcement", args=[plan.pk])


def test_a_closed_form_gives_one_notice_not_two(signed_in, applicant, now):
    upcoming = make_plan(starts=now + timedelta(days=10), info_opens_at=now + timedelta(days=3))
    ended = make_plan(starts=now - timedelta(days=10), ends=now - timedelta(days=1))
    submitted = make_plan(starts=now - timedelta(days=10), ends=now - timedelta(days=1))
    make_info(applicant, submitted)
    notices = {
        upcoming: "信息填报将于",
        ended: "该计划的信息填报已结束",
        submitted: "当前不在该计划的信息填报时间内",
    }
    for plan, notice in notices.items():
        page = signed_in.get(fill_url(plan), follow=True).content.decode()
        assert page.count(notice) == 1
        assert page.count('class="message message') + page.count('class="hint') == 1


def test_draft_plan_is_not_found(signed_in):
    plan = make_plan(status="draft")
    assert signed_in.get(fill_url(plan)).status_code == 404


def test_wrong_method_is_refused(signed_in, plan):
    assert signed_in.put(fill_url(plan)).status_code == 405
    assert signed_in.get(reverse("applications:save_draft", args=[plan.pk])).status_code == 405


def test_post_without_csrf_token_is_refused(applicant, plan):
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant)
    for name in ("fill", "save_draft", "add_member", "upload"):
        response = client.post(reverse(f"applications:{name}", args=[plan.pk]), form_data())
        assert response.status_code == 403, name


def test_htmx_upload_returns_the_kind_block_with_its_thumbnail(signed_in, applicant, plan):
    response = signed_in.post(
        reverse("applications:upload", args=[plan.pk]),
        {"kind": "id_front", "upload_id_front": image_upload("front.jpg")},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    document = Document.objects.get(owner=applicant)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="field document-kind')
    assert reverse("applications:document_thumbnail", args=[document.pk]) in html
    assert "front.jpg" in html


def test_a_marriage_upload_keeps_its_star_for_the_answer_on_the_screen(signed_in, plan):
    # 已婚 chosen but not saved yet: the block that comes back is still required (issue 16).
    response = signed_in.post(
        reverse("applications:upload", args=[plan.pk]),
        {"kind": "marriage", "marital_status": "married", "upload_marriage": image_upload()},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    label = html[html.index("<label") : html.index("</label>")]
    assert '<span class="required" aria-hidden="true">*</span>婚姻证明' in label
    unmarried = signed_in.post(
        reverse("applications:upload", args=[plan.pk]),
        {"kind": "marriage", "marital_status": "unmarried", "upload_marriage": image_upload()},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'class="required"' not in unmarried[: unmarried.index("</label>")]


def test_plain_upload_redirects_back_and_reports_refusals(signed_in, applicant, plan):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("fake.jpg", b"not an image", content_type="image/jpeg")
    response = signed_in.post(
        reverse("applications:upload", args=[plan.pk]), {"upload_id_front": fake}, follow=True
    )
    assert response.redirect_chain[-1][0] == fill_url(plan)
    assert "fake.jpg" in response.content.decode()
    assert not Document.objects.exists()


def test_remove_document_unlinks_but_keeps_the_file(signed_in, applicant, plan):
    signed_in.post(reverse("applications:save_draft", args=[plan.pk]), with_uploads(form_data()))
    draft = ApplicationDraft.objects.get()
    document = draft.documents.get(kind="hukou")
    url = reverse("applications:remove_document", args=[plan.pk, document.pk])
    response = signed_in.post(url, form_data())
    assert response.status_code == 302
    assert not draft.documents.filter(pk=document.pk).exists()
    assert Document.objects.filter(pk=document.pk).exists()


def test_cannot_remove_a_document_of_another_draft(signed_in, plan):
    stranger = make_applicant()
    stranger_client = Client()
    stranger_client.force_login(stranger)
    stranger_client.post(
        reverse("applications:save_draft", args=[plan.pk]), with_uploads(form_data())
    )
    theirs = Document.objects.filter(owner=stranger).first()
    url = reverse("applications:remove_document", args=[plan.pk, theirs.pk])
    assert signed_in.post(url, form_data()).status_code == 404


def test_confirmation_of_another_applicant_is_not_found(signed_in, plan):
    other = make_info(make_applicant(), plan)
    url = reverse("applications:submitted", args=[plan.pk, other.reference])
    assert signed_in.get(url).status_code == 404


def test_same_form_posted_twice_creates_one_version(signed_in, applicant, plan):
    data = with_uploads(form_data(submission_key="key-of-this-form"))
    first = signed_in.post(fill_url(plan), data)
    second = signed_in.post(fill_url(plan), form_data(submission_key="key-of-this-form"))
    info = ApplicationInfo.objects.get(plan=plan)
    assert (
        first.url == second.url == reverse("applications:submitted", args=[plan.pk, info.reference])
    )


def test_form_carries_a_fresh_submission_key(signed_in, plan):
    first = signed_in.get(fill_url(plan)).content.decode()
    second = signed_in.get(fill_url(plan)).content.decode()
    key = 'name="submission_key" value="'
    assert key in first
    assert first.split(key)[1][:16] != second.split(key)[1][:16]


def test_view_without_a_submission_leads_to_the_form_or_the_announcement(signed_in, now):
    open_plan = make_plan()
    response = signed_in.get(reverse("applications:info", args=[open_plan.pk]))
    assert response.url == fill_url(open_plan)
    ended = make_plan(starts=now - timedelta(days=10), ends=now - timedelta(days=1))
    response = signed_in.get(reverse("applications:info", args=[ended.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("plans:announcement", args=[ended.pk])
    assert "您没有填报该计划的信息" in response.content.decode()


def test_htmx_upload_of_a_kind_the_form_does_not_show_is_refused(signed_in, plan):
    response = signed_in.post(
        reverse("applications:upload", args=[plan.pk]),
        {"kind": "education", "upload_education": image_upload("degree.jpg")},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert not Document.objects.exists()


def blocks_url(plan) -> str:
    return reverse("applications:document_blocks", args=[plan.pk])


def test_choosing_married_brings_in_the_marriage_upload_at_once(signed_in, plan):
    married = signed_in.get(blocks_url(plan), {"marital_status": "married"}, HTTP_HX_REQUEST="true")
    html = married.content.decode()
    assert married.status_code == 200
    assert 'id="document-blocks"' in html
    assert 'id="upload_marriage"' in html
    assert '<span class="required" aria-hidden="true">*</span>婚姻证明' in html
    assert "<html" not in html
    unmarried = signed_in.get(
        blocks_url(plan), {"marital_status": "unmarried"}, HTTP_HX_REQUEST="true"
    )
    assert 'id="upload_marriage"' not in unmarried.content.decode()
    assert 'id="upload_id_front"' in unmarried.content.decode()
    assert not ApplicationDraft.objects.exists()  # a swap saves nothing


def test_the_marriage_block_keeps_its_files_when_the_answer_changes(signed_in, applicant, plan):
    signed_in.post(
        reverse("applications:save_draft", args=[plan.pk]),
        {**form_data(marital_status="married"), "upload_marriage": image_upload("marriage.jpg")},
    )
    html = signed_in.get(
        blocks_url(plan), {"marital_status": "unmarried"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "marriage.jpg" in html


def test_the_marital_answer_asks_for_the_swap(signed_in, plan):
    html = signed_in.get(fill_url(plan)).content.decode()
    assert f'hx-get="{blocks_url(plan)}"' in html
    assert 'hx-target="#document-blocks"' in html


def test_without_javascript_the_marriage_upload_is_on_the_form_with_its_condition(signed_in, plan):
    html = signed_in.get(fill_url(plan)).content.decode()
    assert 'id="upload_marriage"' in html
    assert "（已婚者必传）" in html
    # and it is validated the same way: required when the answer is 已婚 …
    response = signed_in.post(fill_url(plan), with_uploads(form_data(marital_status="married")))
    assert "婚姻证明：请上传此项材料。" in response.content.decode()
    # … and not otherwise.
    assert signed_in.post(fill_url(plan), with_uploads(form_data())).status_code == 302


def test_the_blocks_url_without_htmx_is_the_form(signed_in, plan):
    response = signed_in.get(blocks_url(plan), {"marital_status": "married"})
    assert response.url == fill_url(plan) + "#documents"


def test_the_blocks_url_needs_sign_in_and_an_open_form(signed_in, now):
    plan = make_plan()
    anonymous = Client().get(blocks_url(plan), HTTP_HX_REQUEST="true")
    assert anonymous.url.startswith(reverse("accounts:login"))
    ended = make_plan(starts=now - timedelta(days=10), ends=now - timedelta(days=1))
    closed = signed_in.get(blocks_url(ended), HTTP_HX_REQUEST="true")
    assert closed.url == reverse("plans:announcement", args=[ended.pk])
    assert signed_in.post(blocks_url(plan)).status_code == 405
