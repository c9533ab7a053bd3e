"""The applicant's rights reach past the draw (issue 18 with issue 19): 下载我的个人信息 carries
the 资格复核, the turns and the chosen home; 注销账号 waits while an allocation needs the person;
a tenant's documents outlive the purge that takes everyone else's."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from allocation import choosing
from allocation.models import Choice
from applications.models import Document
from privacy import closure, retention
from privacy.export import personal_data
from tests.allocation.factories import ready_session
from tests.clock import MORNING
from tests.factories import make_applicant, make_document

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MORNING, tick=False)]


@pytest.fixture
def chosen():
    """An entrant who chose a home and has not signed yet, and one still waiting."""
    people = [make_applicant(name="孙立"), make_applicant(name="周舟")]
    _plan, passed, homes, _session = ready_session(entrants=2, applicants=people)
    first, second = sorted(passed, key=lambda entrant: entrant.position)
    choosing.choose(recheck=first, home_id=homes[0].pk, by=first.registration.applicant)
    return first, second


def test_the_export_holds_the_allocation(chosen):
    first, second = chosen
    data = personal_data(first.registration.applicant)

    (record,) = data["选房与签约"]
    assert record["登记编号"] == first.registration.number
    assert record["资格复核"] == "复核通过"
    assert record["选定房源"][0]["确认书编号"] == Choice.objects.get().number
    assert second.registration.number not in str(data)


def test_closing_waits_for_the_signing_and_for_a_turn(chosen):
    first, second = chosen
    now = timezone.now()

    reasons = closure.blockers(first.registration.applicant, now=now)
    assert any("已选定的房源尚未签约" in reason for reason in reasons)
    assert any(
        "选房尚未完成" in reason
        for reason in closure.blockers(second.registration.applicant, now=now)
    )
    with pytest.raises(closure.ClosureRefused):
        closure.close_account(user=first.registration.applicant, now=now)


def test_a_tenants_documents_outlive_the_period(chosen):
    first, _second = chosen
    tenant = first.registration.applicant
    kept = make_document(tenant)
    first.registration.info.documents.add(kept)
    # The same plan's documents of an entrant whose allocation is over (failed 资格复核).
    bystander = make_applicant(name="吴桐")
    gone = make_document(bystander)
    later = timezone.now() + timedelta(days=400)
    Document.objects.filter(pk__in=[kept.pk, gone.pk]).update(uploaded_at=timezone.now())

    with time_machine.travel(later, tick=False):
        retention.purge(now=later)

    assert Document.objects.get(pk=kept.pk).has_files
    assert not Document.objects.get(pk=gone.pk).has_files
