"""The published files: entries.txt, result.txt and the verifier itself."""

import hashlib

import pytest
from django.urls import reverse

from lottery import verify
from lottery.models import PriorityGroup, PriorityGroupOffering
from plans.models import Plan
from tests.factories import make_plan, make_project
from tests.lottery.factories import (
    CANONICAL,
    LOTTERY_SOURCE,
    NOTARY_SOURCE,
    SEED,
    TYPED_SEED,
    make_drawn_draw,
    make_ended_plan,
    make_frozen_draw,
    make_typed_draw,
)

pytestmark = pytest.mark.django_db


def download(client, name: str, plan_id: int):
    response = client.get(reverse(f"lottery:{name}", args=[plan_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


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


def test_seed_txt_gives_the_sources_numbers_the_canonical_string_and_the_seed(client):
    draw = make_drawn_draw(count=3)
    content = download(client, "seed_txt", draw.plan_id).decode()
    assert content == (
        "seed-rule rfc3797-sha256/1\n"
        f"source sorted 6 | 31 7 19 3 25 12 | {LOTTERY_SOURCE}\n"
        f"source ordered 5 | 47 8 23 15 31 | {NOTARY_SOURCE}\n"
        f"canonical {CANONICAL}\n"
        f"seed {SEED}\n"
    )
    assert verify.seed_from(verify.parse_seed_text(content)) == draw.seed


def test_result_txt_is_what_seed_txt_and_entries_txt_give(client):
    draw = make_drawn_draw(count=6000)
    entries = download(client, "entries", draw.plan_id).decode()
    seed_txt = download(client, "seed_txt", draw.plan_id).decode()
    result = download(client, "result_txt", draw.plan_id).decode()
    sources = verify.parse_seed_text(seed_txt)
    assert result == verify.result_text(sources=sources, entries_text=entries)
    lines = result.splitlines()
    assert lines[0] == "algorithm hmac-sha256-sort/1"
    assert "\n".join(lines[1:6]) + "\n" == seed_txt
    assert lines[6] == f"entries-sha256 {draw.list_sha256}"
    first = draw.entries.get(overall_position=1)
    assert lines[7] == f"1 1 1 {first.code}"
    assert result.endswith("\n")


def test_result_txt_of_a_draw_with_a_typed_seed_keeps_its_published_form(client):
    draw = make_typed_draw(count=20)
    entries = download(client, "entries", draw.plan_id).decode()
    result = download(client, "result_txt", draw.plan_id).decode()
    assert result == verify.result_text(seed=TYPED_SEED, entries_text=entries)
    assert result.splitlines()[:3] == [
        "algorithm hmac-sha256-sort/1",
        f"seed {TYPED_SEED}",
        f"entries-sha256 {draw.list_sha256}",
    ]
    seed_txt = reverse("lottery:seed_txt", args=[draw.plan_id])
    assert client.get(seed_txt).status_code == 404  # no numbers: the seed was typed


def test_no_files_before_the_list_is_frozen(client):
    plan = make_ended_plan()
    assert client.get(reverse("lottery:entries", args=[plan.pk])).status_code == 404
    assert client.get(reverse("lottery:seed_txt", args=[plan.pk])).status_code == 404
    assert client.get(reverse("lottery:result_txt", args=[plan.pk])).status_code == 404


def test_no_result_or_seed_file_before_the_draw(client):
    draw = make_frozen_draw(count=2)
    assert client.get(reverse("lottery:result_txt", args=[draw.plan_id])).status_code == 404
    assert client.get(reverse("lottery:seed_txt", args=[draw.plan_id])).status_code == 404


def test_no_files_for_a_draft_plan(client):
    plan = make_plan(status=Plan.Status.DRAFT)
    assert client.get(reverse("lottery:entries", args=[plan.pk])).status_code == 404


def test_files_refuse_post(client):
    draw = make_drawn_draw(count=1)
    assert client.post(reverse("lottery:entries", args=[draw.plan_id])).status_code == 405
    assert client.post(reverse("lottery:result_txt", args=[draw.plan_id])).status_code == 405
    assert client.post(reverse("lottery:seed_txt", args=[draw.plan_id])).status_code == 405


def test_serves_the_verifier_program(client):
    response = client.get(reverse("lottery:verifier"))
    assert response.status_code == 200
    assert response.content.decode() == open(verify.__file__, encoding="utf-8").read()  # noqa: SIM115
    assert 'filename="verify.py"' in response["Content-Disposition"]
