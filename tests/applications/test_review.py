"""applications/review.py: a decision and its text are one transaction; the model only records."""

import pytest

from applications import review
from applications.models import InvalidTransition, Progress, RegistrationEvent
from messaging.models import OutboxMessage
from tests.applications.test_admin_review import registered
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


Kind = OutboxMessage.Kind


def decision_texts(registration) -> list[str]:
    return [text for _, text in texts(registration)]


def texts(registration) -> list[tuple[str, str]]:
    """(kind, text) of the registration's review texts, oldest first."""
    return list(
        OutboxMessage.objects.filter(
            kind__in=[Kind.REVIEWING, Kind.DECISION], reference=registration.number
        )
        .order_by("pk")
        .values_list("kind", "text")
    )


def test_a_decision_queues_its_text_in_the_same_transaction():
    registration = registered()
    review.decide(registration, decision="start_review", by=make_staff())
    review.decide(registration, decision="reject", by=make_staff(), reason="材料不清晰")
    assert registration.progress == Progress.REJECTED
    assert [("审核不通过" in t, "已进入资格审核" in t) for t in decision_texts(registration)] == [
        (False, True),
        (True, False),
    ]
    assert "原因：材料不清晰" in decision_texts(registration)[1]


def test_the_review_starting_is_filed_apart_from_its_result():
    """审核中 is not a 审核结果 (issue 16): 短信发送记录's 类别 says which is which."""
    registration = registered()
    review.decide(registration, decision="start_review", by=make_staff())
    review.decide(registration, decision="approve", by=make_staff())

    assert [kind for kind, _ in texts(registration)] == [Kind.REVIEWING, Kind.DECISION]
    assert Kind.REVIEWING.label == "进入审核"


def test_the_model_records_the_decision_and_texts_nobody():
    registration = registered()
    registration.start_review(by=make_staff())
    assert RegistrationEvent.objects.filter(
        registration=registration, to_progress=Progress.REVIEWING
    ).exists()
    assert decision_texts(registration) == []


def test_a_refused_decision_queues_no_text():
    registration = registered()
    with pytest.raises(InvalidTransition):
        review.decide(registration, decision="approve", by=make_staff())
    with pytest.raises(InvalidTransition):
        review.decide(registration, decision="reject", by=make_staff(), reason=" ")
    assert decision_texts(registration) == []


def test_an_unknown_decision_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown decision"):
        review.decide(registered(), decision="delete", by=make_staff())
