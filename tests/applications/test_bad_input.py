"""Generated bad input posted to every applicant form and htmx endpoint (issue 10, finding 7):
信息填报 with every field, family member rows and uploads (提交, 暂存, 添加家庭成员, 删除, the
htmx upload, 移除 a document), 立即登记 and 取消登记, as an anonymous visitor and as a signed-in
applicant. No response is a server error, no redirect leaves the site, and a refused post
changes nothing stored: the account, submitted 信息填报 versions and their family members,
documents, the drafts' documents, registrations and their history.

The one thing a refused 信息填报 post keeps is what was typed, in the applicant's draft: by
design (applications/views/info.py), so that a failed submit never loses anyone's work.
"""

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from applications import drafts
from applications.models import (
    ApplicationDraft,
    ApplicationInfo,
    Document,
    DocumentKind,
    FamilyMember,
    MaritalStatus,
    Registration,
    RegistrationEvent,
)
from applications.registration import register
from projects.models import District
from tests.clock import MORNING
from tests.factories import INFO_FIELDS, make_applicant, make_document, make_info, make_plan
from tests.strategies import (
    changes,
    choice_or_text,
    extra_fields,
    numbers,
    stays_on_site,
    stored,
    texts,
    uploads,
)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MORNING, tick=False)]

VALID = {
    **INFO_FIELDS,
    "marital_status": [choice.value for choice in MaritalStatus],
    "employer_district": [choice.value for choice in District],
    "hukou_type": ["local", "other"],
    "housing_status": ["none", "owns"],
    "education": ["bachelor", "master"],
    "graduation_date": "2024-07-01",
}


def field_value(name: str) -> st.SearchStrategy[str]:
    valid = VALID.get(name, "")
    if name == "contribution_months":
        return st.one_of(st.just(str(valid)), numbers)
    return choice_or_text(valid if isinstance(valid, list) else [str(valid)])


@st.composite
def info_posts(draw) -> dict:
    """The 信息填报 form as a browser could post it, every value possibly wrong."""
    names = [*INFO_FIELDS, "education", "graduation_date"]
    data = {name: draw(field_value(name)) for name in names if draw(st.integers(0, 9))}
    rows = draw(st.integers(min_value=0, max_value=3))
    data["members-TOTAL_FORMS"] = draw(st.one_of(st.just(str(rows)), numbers))
    data["members-INITIAL_FORMS"] = draw(st.one_of(st.just("0"), numbers))
    for index in range(rows):
        for key, valid in [("name", "李小红"), ("relation", "spouse"), ("id_number", "")]:
            data[f"members-{index}-{key}"] = draw(choice_or_text([valid]))
        if draw(st.booleans()):
            data[f"members-{index}-id_token"] = draw(texts)
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        kind = draw(st.sampled_from(DocumentKind.values))
        data[f"upload_{kind}"] = draw(uploads())
    data["submission_key"] = draw(choice_or_text(["k" * 22]))
    return {**draw(extra_fields()), **data}


@pytest.fixture
def world(db):
    """The applicant "me": registered for one plan (so its form is locked), a submitted 信息填报
    for another that is open, with a family member; someone else's documents and
    registration."""
    me, other = make_applicant(name="王小明"), make_applicant(name="赵六")
    registered, open_plan = make_plan(), make_plan()
    make_info(me, registered)
    mine = register(applicant=me, plan=registered, offering=registered.plan_projects.get())
    make_info(me, open_plan, members=[("李小红", "spouse", "")], marital_status="married")
    # A saved draft for the open plan, prefilled from the submission with its documents.
    saved = Client()
    saved.force_login(me)
    form = {**INFO_FIELDS, "marital_status": "married", "members-TOTAL_FORMS": "0"}
    saved.post(reverse("applications:save_draft", args=[open_plan.pk]), form)
    assert drafts.attached_documents(drafts.load(me, open_plan))
    make_info(other, registered)
    theirs = register(applicant=other, plan=registered, offering=registered.plan_projects.get())
    return {
        "me": me,
        "plans": [registered, open_plan],
        "my_registration": mine.registration,
        "their_registration": theirs.registration,
        "their_document": make_document(other),
    }


def everything_stored(*, with_drafts: bool = True) -> list:
    tables = [
        User.objects.all(),
        ApplicationInfo.objects.all(),
        FamilyMember.objects.all(),
        Document.objects.all(),
        ApplicationDraft.documents.through.objects.all(),
        Registration.objects.all(),
        RegistrationEvent.objects.all(),
    ]
    if with_drafts:
        tables.append(ApplicationDraft.objects.defer("updated_at"))
    return stored(*tables)


def sign_in(client, world, who: str) -> None:
    client.logout()
    if who == "applicant":
        client.force_login(world["me"])


def post(client, url: str, data: dict, *, htmx: bool = False):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(url, data, **headers)
    assert response.status_code < 500, url
    assert stays_on_site(response), (url, response["Location"])
    return response


FORM_ACTIONS = ["fill", "save_draft", "add_member"]


@pytest.mark.parametrize("action", FORM_ACTIONS)
@pytest.mark.parametrize("who", ["anonymous", "applicant"])
@given(data=info_posts(), plan_index=st.sampled_from([0, 1]))
def test_info_form_keeps_stored_records_whatever_is_posted(
    client, world, action, who, data, plan_index
):
    sign_in(client, world, who)
    plan = world["plans"][plan_index]
    locked = plan_index == 0 or who == "anonymous"
    before = everything_stored(with_drafts=locked)
    response = post(client, reverse(f"applications:{action}", args=[plan.pk]), data)
    submitted = response.status_code == 302 and "/info/TB" in response["Location"]
    if not submitted:
        assert not changes(before, everything_stored(with_drafts=locked))


@pytest.mark.parametrize("who", ["anonymous", "applicant"])
@given(data=info_posts(), index=numbers, plan_index=st.sampled_from([0, 1]))
def test_removing_a_member_row_keeps_stored_records(client, world, who, data, index, plan_index):
    sign_in(client, world, who)
    plan = world["plans"][plan_index]
    locked = plan_index == 0 or who == "anonymous"
    before = everything_stored(with_drafts=locked)
    url = f"/plans/{plan.pk}/info/members/{quote(index, safe='')}/remove/"
    post(client, url, data)
    assert not changes(before, everything_stored(with_drafts=locked))


@pytest.mark.parametrize("who", ["anonymous", "applicant"])
@given(
    kind=choice_or_text(DocumentKind.values),
    files=st.lists(uploads(), min_size=1, max_size=2),
    htmx=st.booleans(),
    plan_index=st.sampled_from([0, 1]),
)
def test_uploads_of_generated_files_are_refused_and_store_nothing(
    client, world, who, kind, files, htmx, plan_index
):
    sign_in(client, world, who)
    plan = world["plans"][plan_index]
    before = everything_stored()
    data = {"kind": kind, f"upload_{kind}": files}
    post(client, reverse("applications:upload", args=[plan.pk]), data, htmx=htmx)
    assert not changes(before, everything_stored())


@pytest.mark.parametrize("who", ["anonymous", "applicant"])
@given(
    data=info_posts(),
    document=st.one_of(numbers, st.just("theirs")),
    plan_index=st.sampled_from([0, 1]),
)
def test_removing_someone_elses_or_no_document_changes_nothing(
    client, world, who, data, document, plan_index
):
    sign_in(client, world, who)
    plan = world["plans"][plan_index]
    mine = set(Document.objects.filter(owner=world["me"]).values_list("pk", flat=True))
    if document == "theirs":
        document = str(world["their_document"].pk)
    if document.strip().lstrip("+").isdigit() and int(document) in mine:
        document = str(world["their_document"].pk)
    locked = plan_index == 0 or who == "anonymous"
    before = everything_stored(with_drafts=locked)
    url = f"/plans/{plan.pk}/info/documents/{quote(document, safe='')}/remove/"
    post(client, url, data)
    assert not changes(before, everything_stored(with_drafts=locked))


@pytest.mark.parametrize("who", ["anonymous", "applicant"])
@given(
    data=st.fixed_dictionaries({"offering": numbers}).flatmap(
        lambda fields: extra_fields().map(lambda extra: {**extra, **fields})
    ),
    plan_index=st.sampled_from([0, 1]),
)
def test_registering_with_bad_input_registers_no_one(client, world, who, data, plan_index):
    sign_in(client, world, who)
    plan = world["plans"][plan_index]
    before = everything_stored()
    response = post(client, reverse("applications:register", args=[plan.pk]), data)
    registered = response.status_code == 302 and response["Location"].endswith("/registered/")
    if not registered:
        assert not changes(before, everything_stored())


@pytest.mark.parametrize("who", ["anonymous", "applicant"])
@given(number=st.one_of(texts, st.just("theirs")), data=extra_fields())
def test_cancelling_someone_elses_or_no_registration_changes_nothing(
    client, world, who, number, data
):
    sign_in(client, world, who)
    if number == "theirs" or number == world["my_registration"].number:
        number = world["their_registration"].number
    before = everything_stored()
    post(client, f"/records/{quote(number, safe='')}/cancel/", data)
    assert not changes(before, everything_stored())
