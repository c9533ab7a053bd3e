"""下载我的个人信息 (privacy/export.py): a fresh SMS code, a ZIP built by a background task with
every kind of the applicant's data and nothing of anyone else's, shown on the page when ready,
served to its owner only, a few a day, expiring."""

import io
import json
import re
import zipfile
from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts import access_log
from accounts.models import AccessEvent
from applications.models import ApplicationDraft
from applications.registration import register
from lottery import draw as lottery
from privacy.export import ExportRefused, build, request_export
from privacy.models import DataExport
from tests.accounts.conftest import last_code, send_code
from tests.clock import MORNING
from tests.factories import (
    REQUIRED_KINDS,
    id_number_for,
    image_upload,
    make_applicant,
    make_document,
    make_info,
    make_plan,
    make_staff,
)
from tests.lottery.factories import NUMBERS, freeze_earlier, make_ended_plan, make_registrations

pytestmark = pytest.mark.django_db

PAGE = "/privacy/my-data/"


def documents_of(person, color: str):
    return [
        make_document(person, kind, upload=image_upload(f"{kind}.jpg", color=color))
        for kind in REQUIRED_KINDS
    ]


def full_file(person, *, color: str, name: str, phone: str):
    """An applicant with some of every kind of data: two versions of 信息填报 with a family
    member, a draft, documents, a registration with its events and text, a drawn lottery entry,
    a staff member's look, consents."""
    plan = make_plan()
    documents = documents_of(person, color)
    make_info(person, plan, documents=documents, members=[(f"{name}妻", "spouse", "")])
    make_info(person, plan, documents=documents, employer=f"{name}的公司")
    registration = register(
        applicant=person, plan=plan, offering=plan.plan_projects.first()
    ).registration
    ApplicationDraft.objects.create(
        applicant=person,
        plan=make_plan(),
        data={"fields": {"current_address": f"{name}的草稿地址"}, "members": []},
    )
    ended = make_ended_plan()
    make_registrations(ended, 1, applicant=person)
    staff = make_staff()
    drawn = freeze_earlier(ended, by=staff)
    lottery.draw(plan=ended, numbers=NUMBERS, by=drawn.frozen_by)
    AccessEvent.objects.create(
        subject=person,
        staff=staff,
        staff_number=f"R{person.pk:04d}",
        action=access_log.Action.DOCUMENT,
        target="身份证人像面",
    )
    return registration


def ask_for_export(client, phone_e164: str):
    send_code(client, f"{PAGE}send-code/")
    return client.post(PAGE, {"sms_code": last_code(phone_e164)})


def test_the_zip_holds_every_kind_of_the_applicants_data_and_nothing_of_anyone_elses(
    client, captcha_test_mode
):
    one = make_applicant(name="赵大海", phone="+8613900139001")
    other = make_applicant(name="钱小二", phone="+8613900139002")
    mine = full_file(one, color="#aa3311", name="赵大海", phone="+8613900139001")
    theirs = full_file(other, color="#11aa33", name="钱小二", phone="+8613900139002")
    client.force_login(one)
    response = ask_for_export(client, "+8613900139001")
    assert response["Location"] == PAGE
    page = client.get(PAGE).content.decode()
    assert "已开始生成" in page
    export = DataExport.objects.get(user=one)
    assert export.status == DataExport.Status.READY  # the task ran at commit (immediate)
    link = reverse("privacy:export_download", args=[export.token])
    assert link in page
    download = client.get(link)
    assert download["Content-Disposition"].startswith("attachment")
    assert "no-store" in download["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = archive.namelist()
    assert "README.txt" in names
    readme = archive.read("README.txt").decode()
    assert "我的个人信息" in readme
    data = json.loads(archive.read("个人信息.json"))
    text = json.dumps(data, ensure_ascii=False)

    for section in [
        "账号",
        "实名认证",
        "短信验证码记录",
        "同意记录",
        "查看记录",
        "信息填报",
        "填报草稿",
        "上传材料",
        "配租登记",
        "摇号",
        "短信",
    ]:
        assert data[section], section
        assert section in readme
    assert data["账号"]["手机号"] == "+8613900139001"
    assert data["实名认证"]["证件号码"] == one.id_number
    assert len(data["信息填报"]) == 3  # two versions for the open plan, one for the drawn one
    assert data["信息填报"][1]["工作单位"] == "赵大海的公司"
    assert data["信息填报"][0]["家庭成员"][0]["姓名"] == "赵大海妻"
    assert data["填报草稿"][0]["已填内容"]["current_address"] == "赵大海的草稿地址"
    assert {r["登记编号"] for r in data["配租登记"]} >= {mine.number}
    assert data["配租登记"][0]["进度记录"][0]["新进度"] == "已登记"
    assert data["摇号"][0]["顺序号"] == 1
    assert data["查看记录"][0]["工作人员"] == f"工号 R{one.pk:04d}"
    assert {c["同意事项"] for c in data["同意记录"]} == {"个人信息处理规则", "敏感个人信息单独同意"}
    assert any(mine.number in t["内容"] for t in data["短信"])
    assert any(t["类别"] == "验证码" for t in data["短信"])  # the code just sent for this

    files = [name for name in names if name.startswith("材料/")]
    assert len(files) == len(REQUIRED_KINDS)
    for document in one.documents.all():
        assert archive.read(f"材料/{document.pk}-{document.get_kind_display()}.jpg") == (
            document.file.open("rb").read()
        )

    # Nothing of the other applicant: their phone, name, number, records, files.
    for foreign in [
        "13900139002",
        "钱小二",
        other.id_number,
        theirs.number,
        theirs.info.reference,
        f"R{other.pk:04d}",
    ]:
        assert foreign not in text, foreign
        assert foreign not in readme
    foreign_bytes = {d.file.open("rb").read() for d in other.documents.all()}
    assert not foreign_bytes & {archive.read(name) for name in files}


def test_a_family_members_number_stays_masked(client, captcha_test_mode):
    one = make_applicant(phone="+8613900139001")
    spouse = id_number_for(date(1990, 1, 2), sequence=7)
    make_info(one, make_plan(), members=[("李梅", "spouse", spouse)])
    client.force_login(one)
    ask_for_export(client, "+8613900139001")
    data = json.loads(read_zip(client, one).read("个人信息.json"))
    member = data["信息填报"][0]["家庭成员"][0]
    assert member["姓名"] == "李梅"
    assert member["证件号码"] != spouse
    assert member["证件号码"].endswith(spouse[-4:])


def read_zip(client, user) -> zipfile.ZipFile:
    export = DataExport.objects.filter(user=user).latest("requested_at")
    response = client.get(reverse("privacy:export_download", args=[export.token]))
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_needs_the_code_texted_for_it(client, captcha_test_mode):
    one = make_applicant(phone="+8613900139001")
    client.force_login(one)
    send_code(client, f"{PAGE}send-code/")
    code = last_code("+8613900139001")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    page = client.post(PAGE, {"sms_code": wrong}).content.decode()
    assert "短信验证码不正确或已失效" in page
    assert not DataExport.objects.exists()


def test_the_code_text_names_the_download(client, captcha_test_mode):
    from rentcenter import sms

    client.force_login(make_applicant(phone="+8613900139001"))
    send_code(client, f"{PAGE}send-code/")
    assert "申请下载" in sms.outbox[-1].text


def test_a_login_code_is_not_a_download_code(client, captcha_test_mode):
    one = make_applicant(phone="+8613900139001")
    send_code(client, phone="13900139001")  # 登录's code
    client.force_login(one)
    client.post(PAGE, {"sms_code": last_code("+8613900139001")})
    assert not DataExport.objects.exists()


def test_a_few_a_day(client):
    one = make_applicant()
    with time_machine.travel(MORNING, tick=False) as clock:
        for _ in range(3):
            request_export(user=one, address=None, now=MORNING)
            clock.shift(timedelta(hours=1))
        with pytest.raises(ExportRefused) as refused:
            request_export(user=one, address=None, now=MORNING + timedelta(hours=3))
        assert "2026年6月2日 10:00" in str(refused.value)
        allowed = MORNING + timedelta(hours=24, seconds=1)
        clock.move_to(allowed)
        request_export(user=one, address=None, now=allowed)
    assert DataExport.objects.filter(user=one).count() == 4


def test_the_page_says_so_when_the_limit_is_reached(client, captcha_test_mode, now):
    one = make_applicant(phone="+8613900139001")
    for _ in range(3):
        request_export(user=one, address=None, now=now)
    client.force_login(one)
    page = ask_for_export(client, "+8613900139001").content.decode()
    assert "24小时内最多申请3次" in page
    assert DataExport.objects.filter(user=one).count() == 3


def test_only_the_owner_downloads_it(client, captcha_test_mode):
    one = make_applicant(phone="+8613900139001")
    client.force_login(one)
    ask_for_export(client, "+8613900139001")
    url = reverse("privacy:export_download", args=[DataExport.objects.get().token])
    other = Client()
    other.force_login(make_applicant(phone="+8613900139002"))
    assert other.get(url).status_code == 404
    assert Client().get(url)["Location"].startswith("/accounts/login/")
    assert client.get(url).status_code == 200


def test_it_expires(client, captcha_test_mode, now):
    one = make_applicant(phone="+8613900139001")
    client.force_login(one)
    ask_for_export(client, "+8613900139001")
    export = DataExport.objects.get()
    assert export.expires_at == now + timedelta(days=7)
    url = reverse("privacy:export_download", args=[export.token])
    assert "下载压缩包" in client.get(PAGE).content.decode()
    with time_machine.travel(export.expires_at + timedelta(seconds=1), tick=False):
        client.logout()
        client.force_login(one)  # a week later: signed in again
        assert client.get(url).status_code == 404
        assert "下载压缩包" not in client.get(PAGE).content.decode()


def test_the_list_refreshes_itself_while_a_zip_is_made(client):
    one = make_applicant()
    DataExport.objects.create(user=one)  # pending: its worker has not run yet
    client.force_login(one)
    page = client.get(PAGE).content.decode()
    assert 'hx-get="/privacy/my-data/list/"' in page
    assert "正在生成" in page
    part = client.get("/privacy/my-data/list/", headers={"HX-Request": "true"}).content.decode()
    assert part.lstrip().startswith('<section class="card" id="exports"')
    export = DataExport.objects.get()
    build(export)
    part = client.get("/privacy/my-data/list/").content.decode()
    assert "hx-get" not in part
    assert "下载压缩包" in part


def test_a_failed_build_says_so(client, monkeypatch):
    one = make_applicant()
    export = DataExport.objects.create(user=one)
    monkeypatch.setattr("privacy.export._write_zip", _explode)
    build(export)
    assert export.status == DataExport.Status.FAILED
    client.force_login(one)
    assert "生成失败" in client.get(PAGE).content.decode()


def _explode(*args, **kwargs):
    raise OSError("disk full")


def test_anonymous_visitors_log_in_first(client):
    assert client.get(PAGE)["Location"] == f"/accounts/login/?next={PAGE}"


def test_page_explains_what_is_in_it(client):
    client.force_login(make_applicant())
    page = client.get(PAGE).content.decode()
    for words in ["信息填报", "上传的材料文件", "发给您的短信", "同意记录", "查看您信息的记录"]:
        assert words in page
    assert re.search(r"压缩包生成后 7 天内可以下载", page)
