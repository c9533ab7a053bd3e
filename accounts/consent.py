"""告知与同意: the 个人信息处理规则 an applicant agrees to, and the separate consent to its
sensitive parts.

个人信息保护法 art. 14 and 17: consent is informed, given for the stated purposes, and asked
again when they change; art. 28–29: resident ID numbers, ID and certificate photos and family
members are sensitive personal information, processed only with a separate consent (单独同意)
that names them (GB/T 35273-2020 §5.4, §5.5). So:

- 注册 asks for agreement to the rules, unticked by default (accounts.views.register and
  create_account record it with the new account);
- before the ID number, document photos or household members are processed the first time —
  实名认证 comes first, since 信息填报 needs it — 基本信息 asks for the separate consent naming
  exactly those (SENSITIVE_ITEMS); realname.verify_real_name refuses without it;
- when the rules change (a new entry in VERSIONS, its text a new template), every signed-in
  applicant is asked again before going on (accounts.middleware.ConsentMiddleware), for the
  separate consent too if they already gave their real name.

Each consent is a row (account, kind, version, when, address). Whether an account is settled
for the current version is kept in its session from the login on (`remember`), so the check
costs no query on the pages applicants load by the thousand.
"""

from dataclasses import dataclass
from datetime import date

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction

from accounts.models import Consent, User

Kind = Consent.Kind


@dataclass(frozen=True)
class RulesVersion:
    number: int
    published: date
    # What changed, told to applicants asked to agree again.
    changes: str

    @property
    def template(self) -> str:
        return f"privacy/rules/v{self.number}.html"


# Every version ever published, oldest first; the text of each is its template. A change of
# what is collected, why, for how long (a retention setting) or who sees it is a new version.
VERSIONS: tuple[RulesVersion, ...] = (RulesVersion(1, date(2026, 12, 1), "首次发布。"),)

# What the separate consent names (个人信息保护法 art. 29–30: the sensitive information itself
# and why it is needed), shown word for word where it is asked and in the rules.
SENSITIVE_ITEMS: tuple[tuple[str, str], ...] = (
    ("您的居民身份证号码", "用于实名认证，并核对您与家庭成员是否重复登记"),
    ("您上传的身份证、户口簿、婚姻、学历、劳动合同、社保等证件和证明材料照片", "用于资格审核"),
    ("您填报的家庭成员信息（姓名、与您的关系、证件号码）", "用于资格审核和“一户一登记”核对"),
)

SESSION_KEY = "accounts.consent"
STAFF = "staff"  # staff do not apply, and are not asked


def current() -> RulesVersion:
    return VERSIONS[-1]


def version(number: int) -> RulesVersion | None:
    return next((v for v in VERSIONS if v.number == number), None)


def has_agreed(user: User, kind: str) -> bool:
    return Consent.objects.filter(user=user, kind=kind, version=current().number).exists()


def missing(user: User) -> list[str]:
    """What the account must still agree to before going on: the rules of the current version,
    and the separate consent if it holds sensitive information already (a verified real name)."""
    if user.is_staff:
        return []
    given = set(
        Consent.objects.filter(user=user, version=current().number).values_list("kind", flat=True)
    )
    needed = [Kind.RULES, Kind.SENSITIVE] if user.has_real_name else [Kind.RULES]
    return [kind for kind in needed if kind not in given]


def record(*, user: User, kinds: list[str], address: str | None) -> None:
    """Store that `user` agreed now, from `address`, to these kinds of the current version."""
    with transaction.atomic():
        Consent.objects.bulk_create(
            Consent(user=user, kind=kind, version=current().number, address=address or None)
            for kind in kinds
        )


def settled(session: SessionBase) -> bool:
    """Whether this session's account has nothing to agree to (no query)."""
    return session.get(SESSION_KEY) in (current().number, STAFF)


def remember(session: SessionBase, user: User) -> bool:
    """Look up once whether `user` has agreed to all the current version asks, and keep the
    answer in the session; whether it has."""
    if user.is_staff:
        session[SESSION_KEY] = STAFF
        return True
    if missing(user):
        session.pop(SESSION_KEY, None)
        return False
    session[SESSION_KEY] = current().number
    return True


def on_login(sender: type, *, request, user: User, **kwargs: object) -> None:
    """At every login (accounts.apps connects it to user_logged_in): the session learns whether
    the account has agreed to the current rules, so its pages need not ask the database."""
    if request is not None and hasattr(request, "session"):
        remember(request.session, user)
