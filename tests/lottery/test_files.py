"""The published files: entries.txt, result.txt and the verifier itself."""

import hashlib

import pytest
from django.urls import reverse

from lottery import verify
from lottery.models import PriorityGroup, PriorityGroupOffering
from plans.models import Plan
from tests.factories import make_plan, make_project
from tests.lottery.factories import SEED, make_drawn_draw, make_ended_plan, make_frozen_draw

pytestmark = pytest.mark.django_db


def download(client, name: str, plan_id: int):
    response = client.get(reverse(f"lottery:{name}", args=[plan_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def test_entries_txt_is_byte_exact_with_the_published_hash(client):
    draw = make_frozen_draw(count=6000)  # more than one streamed chunk
    content = download(client, "entries", draw.plan_id)
    assert hashlib.sha256(content).hexdigest() == draw.list_sha256
    codes = content.decode().split("\n")
    assert codes == sorted(draw.entries.values_list("code", flat=True))
    assert not content.endswith(b"\n")


def test_entries_txt_of_a_plan_with_groups_gives_each_code_its_group(client):
    first, second = make_project(), make_project()
    plan = make_ended_plan(projects=[first, second])
    for position, offering in enumerate(plan.plan_projects.all(), start=1):
        group = PriorityGroup.objects.create(plan=plan, position=position, name=f"第{position}组")
        PriorityGroupOffering.objects.create(group=group, offering=offering)
    draw = make_frozen_draw(plan, count=4)
    content = download(client, "entries", plan.pk)
    assert hashlib.sha256(content).hexdigest() == draw.list_sha256
    assert verify.parse_entries(content.decode()) == sorted(
        draw.entries.values_list("code", "group")
    )


def test_result_txt_is_what_the_seed_and_entries_txt_give(client):
    draw = make_drawn_draw(count=6000)
    entries = download(client, "entries", draw.plan_id).decode()
    result = download(client, "result_txt", draw.plan_id).decode()
    assert result == verify.result_text(seed=SEED, entries_text=entries)
    lines = result.splitlines()
    assert lines[:3] == [
        "algorithm hmac-sha256-sort/1",
        f"seed {SEED}",
        f"entries-sha256 {draw.list_sha256}",
    ]
    first = draw.entries.get(overall_position=1)
    assert lines[3] == f"1 1 1 {first.code}"
    assert result.endswith("\n")


def test_no_files_before_the_list_is_frozen(client):
    plan = make_ended_plan()
    assert client.get(reverse("lottery:entries", args=[plan.pk])).status_code == 404
    assert client.get(reverse("lottery:result_txt", args=[plan.pk])).status_code == 404


def test_no_result_file_before_the_draw(client):
    draw = make_frozen_draw(count=2)
    assert client.get(reverse("lottery:result_txt", args=[draw.plan_id])).status_code == 404


def test_no_files_for_a_draft_plan(client):
    plan = make_plan(status=Plan.Status.DRAFT)
    assert client.get(reverse("lottery:entries", args=[plan.pk])).status_code == 404


def test_files_refuse_post(client):
    draw = make_drawn_draw(count=1)
    assert client.post(reverse("lottery:entries", args=[draw.plan_id])).status_code == 405
    assert client.post(reverse("lottery:result_txt", args=[draw.plan_id])).status_code == 405


def test_serves_the_verifier_program(client):
    response = client.get(reverse("lottery:verifier"))
    assert response.status_code == 200
    assert response.content.decode() == open(verify.__file__, encoding="utf-8").read()  # noqa: SIM115
    assert 'filename="verify.py"' in response["Content-Disposition"]
