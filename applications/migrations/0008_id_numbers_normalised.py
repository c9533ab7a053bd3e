"""ID numbers stored before they were normalised (issue 17, finding 1) are checked again.

accounts.idcard took the digits of every script for digits (int() and a regex's digit class do),
so a number could be stored with an Arabic-Indic or Devanagari digit, and then it was another
number to the one-account digest and to the one-family rule. Each stored number (accounts'
User, every 信息填报 version and its 家庭成员) is read again and normalised as the form now
does (NFKC, spaces dropped, X upper-case), with other scripts' digits read as the digits they
are:

- a number that changes and so becomes nobody else's is rewritten in ASCII digits (encrypted
  anew, its digest with it), and so are the household digests of registrations made with it;
- two accounts, two active registrations of one plan, or an applicant and a family member of
  one form that become the same number are reported on the standard output, and left as they
  are: which account is the person's, or which registration keeps the family's place, is for
  客服 and the reviewers to decide (PRODUCT.md: nothing a reviewer may need is deleted);
- a row the keys cannot decrypt is reported and left.

Safe on an empty database (it prints nothing) and on SQLite. Each rewrite is its own small
update, so an interrupted run can be run again.
"""

import re
import unicodedata

from django.db import migrations


def canonical(number: str) -> str:
    """The number as the form now reads it, with any script's decimal digit made ASCII."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", number)).upper()
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)


class Check:
    def __init__(self) -> None:
        from cryptography.fernet import InvalidToken

        from rentcenter import crypto

        self.crypto = crypto
        self.invalid = InvalidToken
        self.lines: list[str] = []
        self.rewritten = 0
        # The digest a household row may hold → the digest of the normalised number.
        self.digests: dict[str, str] = {}

    def read(self, token: str, what: str) -> str | None:
        try:
            return self.crypto.decrypt(token)
        except self.invalid:
            self.lines.append(f"{what}：证件号码无法解密（ID_NUMBER_KEYS 是否正确？），未检查。")
            return None

    def changed(self, number: str) -> str | None:
        """The normalised number when it differs from the stored one, else None."""
        normal = canonical(number)
        if normal == number:
            return None
        self.digests[self.crypto.digest(number)] = self.crypto.digest(normal)
        return normal


def check_accounts(apps, check: Check) -> None:
    User = apps.get_model("accounts", "User")
    numbers: dict[str, list[int]] = {}
    stored: dict[int, str] = {}
    rows = User.objects.exclude(id_number_encrypted="").order_by("pk")
    for pk, token in rows.values_list("pk", "id_number_encrypted").iterator():
        number = check.read(token, f"账号 {pk}")
        if number is not None:
            stored[pk] = number
            numbers.setdefault(canonical(number), []).append(pk)
    for normal, owners in numbers.items():
        if len(owners) > 1:
            for other in owners[1:]:
                check.lines.append(
                    f"账号 {owners[0]} 与账号 {other}：规范化后为同一证件号码，未合并，"
                    "请客服核实本人后撤销其中一个账号的实名认证。"
                )
            continue
        number = stored[owners[0]]
        if check.changed(number) is not None:
            User.objects.filter(pk=owners[0]).update(
                id_number_encrypted=check.crypto.encrypt(normal),
                id_number_digest=check.crypto.digest(normal),
            )
            check.rewritten += 1


def check_forms(apps, check: Check) -> None:
    ApplicationInfo = apps.get_model("applications", "ApplicationInfo")
    FamilyMember = apps.get_model("applications", "FamilyMember")
    households: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    infos = ApplicationInfo.objects.order_by("pk").values_list(
        "pk", "id_number_encrypted", "reference", "version"
    )
    for pk, token, reference, version in infos.iterator():
        names[pk] = f"填报 {reference}（第 {version} 版）"
        number = check.read(token, names[pk])
        if number is None:
            continue
        households[pk] = [canonical(number)]
        normal = check.changed(number)
        if normal is not None:
            encrypted = check.crypto.encrypt(normal)
            ApplicationInfo.objects.filter(pk=pk).update(id_number_encrypted=encrypted)
            check.rewritten += 1
    members = FamilyMember.objects.order_by("pk").values_list(
        "pk", "info_id", "id_number_encrypted"
    )
    for pk, info_id, token in members.iterator():
        number = check.read(token, f"{names.get(info_id, '填报')} 的家庭成员 {pk}")
        if number is None:
            continue
        household = households.setdefault(info_id, [])
        if canonical(number) in household:
            who = "申请人本人" if household.index(canonical(number)) == 0 else "另一位家庭成员"
            check.lines.append(
                f"{names.get(info_id, '填报')}：家庭成员 {pk} 规范化后与{who}为同一证件号码。"
            )
        household.append(canonical(number))
        normal = check.changed(number)
        if normal is not None:
            encrypted = check.crypto.encrypt(normal)
            FamilyMember.objects.filter(pk=pk).update(id_number_encrypted=encrypted)
            check.rewritten += 1


def check_households(apps, check: Check) -> int:
    """Household rows written with a number that changed take its new digest, unless another
    active row of the plan holds it already (reported). Returns how many were updated."""
    HouseholdMember = apps.get_model("applications", "HouseholdMember")
    updated = 0
    rows = HouseholdMember.objects.filter(id_number_digest__in=list(check.digests))
    for row in rows.select_related("registration").order_by("registration__created_at", "pk"):
        new = check.digests[row.id_number_digest]
        holder = (
            HouseholdMember.objects.filter(plan_id=row.plan_id, id_number_digest=new, active=True)
            .exclude(pk=row.pk)
            .select_related("registration")
            .first()
        )
        if row.active and holder is not None:
            check.lines.append(
                f"登记 {row.registration.number} 与登记 {holder.registration.number}"
                f"（配租计划 {row.plan_id}）：规范化后同一人在两个有效登记中，未合并，"
                "请审核人员核实。"
            )
            continue
        HouseholdMember.objects.filter(pk=row.pk).update(id_number_digest=new)
        updated += 1
    return updated


def recheck_id_numbers(apps, schema_editor):
    check = Check()
    check_accounts(apps, check)
    check_forms(apps, check)
    households = check_households(apps, check)
    if check.rewritten:
        check.lines.insert(0, f"{check.rewritten} 个证件号码已改写为半角数字。")
    if households:
        check.lines.insert(1, f"{households} 条登记家庭成员的证件号码摘要已随之更新。")
    if check.lines:
        print("\n证件号码复核（issue 17）：")
        for line in check.lines:
            print(f"  {line}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("applications", "0007_household_members"),
        ("accounts", "0004_login_lockouts"),
    ]

    operations = [
        migrations.RunPython(recheck_id_numbers, migrations.RunPython.noop, elidable=True),
    ]
