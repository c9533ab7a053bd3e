from datetime import date

from cryptography.fernet import InvalidToken
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.idcard import mask_id_number, parse_id_number
from applications.models import (
    ApplicationInfo,
    DocumentKind,
    MaritalStatus,
    Relation,
)
from applications.validators import validate_contact_phone, validate_credit_code
from plans.models import Plan
from projects.models import District
from rentcenter import crypto

DATE_INPUTS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y-%m", "%Y/%m", "%Y年%m月"]


class DateInput(forms.DateInput):
    input_type = "date"

    def format_value(self, value: object) -> str | None:
        return value.isoformat() if isinstance(value, date) else super().format_value(value)


def say_what_is_missing(form: forms.BaseForm) -> None:
    """“请填写工作单位” / “请选择婚姻状况”, rather than a generic “this field is required”."""
    for field in form.fields.values():
        verb = "选择" if isinstance(field, forms.ChoiceField) else "填写"
        field.error_messages["required"] = f"请{verb}{field.label}。"
        if isinstance(field, forms.IntegerField):
            field.error_messages["invalid"] = "请填写整数。"
        if isinstance(field, forms.DateField):
            field.error_messages["invalid"] = "请填写正确的日期，如 2024-06-30。"
        # Django's own sentence for a NUL character (pasted from elsewhere) reads badly.
        field.error_messages["null_characters_not_allowed"] = (
            f"{field.label}中含有无法识别的字符，请删除后重新填写。"
        )


class InfoForm(forms.ModelForm):
    """信息填报: what the applicant declares, beyond what 实名认证 already knows.

    The 学历 section exists only for plans that ask for it (graduate plans).
    """

    required_css_class = "required"

    class Meta:
        model = ApplicationInfo
        fields = [
            "marital_status",
            "hukou_type",
            "hukou_location",
            "current_address",
            "employer",
            "employer_district",
            "employer_credit_code",
            "contribution_months",
            "housing_status",
            "education",
            "graduation_date",
            "emergency_contact_name",
            "emergency_contact_phone",
            "preferred_room",
        ]
        widgets = {
            "marital_status": forms.RadioSelect,
            "hukou_type": forms.RadioSelect,
            "housing_status": forms.RadioSelect,
            "graduation_date": DateInput,
            "contribution_months": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
            "emergency_contact_phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
        }
        help_texts = {
            "hukou_location": "如：北京市朝阳区 或 河北省石家庄市",
            "employer_credit_code": "选填，18 位，可在营业执照上查到",
            "contribution_months": "截至目前在本市连续缴纳社会保险或个人所得税的月数",
            "graduation_date": "以毕业证书上的日期为准",
        }

    def __init__(self, *args, plan: Plan, applicant_phone: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.applicant_phone = applicant_phone
        self.fields["graduation_date"].input_formats = DATE_INPUTS
        self.fields["employer_district"].choices = [("", "请选择"), *District.choices]
        self.fields["preferred_room"].choices = [
            ("", "不限"),
            *self.fields["preferred_room"].choices[1:],
        ]
        for name in ("marital_status", "hukou_type", "housing_status"):
            self.fields[name].choices = self.fields[name].choices[1:]  # no "---------" radio
        # The uploads follow the answers: choosing 已婚 brings in 婚姻证明 at once (htmx; without
        # JavaScript every conditional upload is on the form, marked with its condition).
        self.fields["marital_status"].widget.attrs.update(
            {
                "hx-get": reverse("applications:document_blocks", args=[plan.pk]),
                "hx-trigger": "change",
                "hx-target": "#document-blocks",
                "hx-swap": "outerHTML",
                # One request of the form at a time: an upload's thumbnail is never overwritten
                # by a swap of the blocks that was asked for before it.
                "hx-sync": "closest form:queue all",
            }
        )
        if plan.asks_education:
            self.fields["education"].required = True
            self.fields["graduation_date"].required = True
        else:
            del self.fields["education"]
            del self.fields["graduation_date"]
        say_what_is_missing(self)

    def clean_employer_credit_code(self) -> str:
        code = self.cleaned_data["employer_credit_code"].strip().upper()
        if code:
            validate_credit_code(code)
        return code

    def clean_emergency_contact_phone(self) -> str:
        phone = self.cleaned_data["emergency_contact_phone"].strip()
        validate_contact_phone(phone)
        if self.applicant_phone and phone.replace("-", "").replace(" ", "") == self.applicant_phone:
            raise ValidationError("不能填写您本人的手机号。")
        return phone

    def clean_contribution_months(self) -> int:
        months = self.cleaned_data["contribution_months"]
        if months > 600:
            raise ValidationError("请填写正确的连续缴纳月数。")
        return months

    def clean_graduation_date(self) -> date | None:
        graduated = self.cleaned_data.get("graduation_date")
        if graduated and graduated > timezone.localdate():
            raise ValidationError("毕业时间不能晚于今天。")
        return graduated


def _decrypt(token: str) -> str:
    """A token from a hidden field: one the applicant altered means nothing."""
    try:
        return crypto.decrypt(token) if token else ""
    except InvalidToken:
        return ""


def resolve_id_number(typed: str, token: str) -> str:
    """The number a family member row means.

    A saved number is shown masked (110105********002X) with its encrypted token in a hidden
    field; while the masked text is left as it is, the row keeps the saved number. Typing over
    it replaces it.
    """
    typed = typed.strip().upper()
    if token:
        saved = _decrypt(token)
        if saved and typed in (mask_id_number(saved), saved):
            return saved
    return typed


def shown_id_number(token: str) -> str:
    """What the form shows for a stored row: masked if valid, else what was typed."""
    number = _decrypt(token)
    try:
        return mask_id_number(parse_id_number(number).number)
    except ValidationError:
        return number


class FamilyMemberForm(forms.Form):
    required_css_class = "required"

    name = forms.CharField(label="姓名", max_length=50)
    relation = forms.ChoiceField(label="与申请人关系", choices=[("", "请选择"), *Relation.choices])
    id_number = forms.CharField(
        label="证件号码", max_length=18, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    id_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        say_what_is_missing(self)

    def has_changed(self) -> bool:
        """A row counts when anything is typed in it; a blank row is ignored, not an error."""
        return any(
            self.data.get(self.add_prefix(name), "").strip()
            for name in ("name", "relation", "id_number")
        )

    def clean_id_number(self) -> str:
        token = self.data.get(self.add_prefix("id_token"), "")
        return parse_id_number(resolve_id_number(self.cleaned_data["id_number"], token)).number


class BaseFamilyFormSet(forms.BaseFormSet):
    """家庭成员: rows may be added and removed; a blank row is ignored."""

    label = "家庭成员"

    def __init__(self, *args, applicant_id_number: str = "", married: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.applicant_id_number = applicant_id_number
        self.married = married

    def _construct_form(self, i: int, **kwargs) -> forms.Form:
        return super()._construct_form(
            i, **{**kwargs, "empty_permitted": True, "use_required_attribute": False}
        )

    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        spouses = 0
        for form in self.forms:
            number = form.cleaned_data.get("id_number")
            if not number:
                continue
            if number == self.applicant_id_number:
                raise ValidationError("家庭成员中不能填写申请人本人。")
            if number in seen:
                raise ValidationError("家庭成员的证件号码不能重复。")
            seen.add(number)
            spouses += form.cleaned_data.get("relation") == Relation.SPOUSE
        if spouses > 1:
            raise ValidationError("家庭成员中只能有一位配偶。")
        if spouses and not self.married:
            raise ValidationError("填写了配偶时，婚姻状况应为已婚。")

    @property
    def members(self) -> list[dict[str, str]]:
        return [form.cleaned_data for form in self.forms if form.cleaned_data]


FamilyFormSet = forms.formset_factory(
    FamilyMemberForm, formset=BaseFamilyFormSet, extra=0, max_num=20, validate_max=True
)


# Uploads that some answers make necessary, with the condition the form states beside them.
CONDITIONAL_KINDS: dict[str, str] = {DocumentKind.MARRIAGE: "已婚者必传"}


def required_document_kinds(plan: Plan, *, marital_status: str) -> list[str]:
    """The 上传材料 a submission needs (PRODUCT.md): 婚姻证明 when married, 学历证明 for
    graduate plans, 其他 never."""
    kinds = [
        DocumentKind.ID_FRONT,
        DocumentKind.ID_BACK,
        DocumentKind.HUKOU,
        DocumentKind.EMPLOYMENT,
        DocumentKind.CONTRIBUTIONS,
    ]
    if marital_status == MaritalStatus.MARRIED:
        kinds.append(DocumentKind.MARRIAGE)
    if plan.asks_education:
        kinds.append(DocumentKind.EDUCATION)
    return kinds


class RegistrationForm(forms.Form):
    """立即登记: which of the plan's projects to register for."""

    offering = forms.TypedChoiceField(label="登记项目小区", coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, offerings: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.offerings = {offering.pk: offering for offering in offerings}
        self.fields["offering"].choices = [
            (
                offering.pk,
                f"{offering.project.name}（{offering.project.get_district_display()}，"
                f"房源 {offering.homes} 套）",
            )
            for offering in offerings
        ]
        self.fields["offering"].error_messages["required"] = "请选择要登记的项目小区。"
        self.fields["offering"].error_messages["invalid_choice"] = "请选择本计划中的项目小区。"

    def clean_offering(self) -> object:
        return self.offerings[self.cleaned_data["offering"]]
