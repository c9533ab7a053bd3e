"""Forms of the account pages. Every message is Chinese and says how to put the value right."""

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber

from accounts import captcha, realname
from accounts.idcard import parse_id_number


class MobilePhoneField(PhoneNumberField):
    """A mainland China mobile number. Spaces, dashes and a +86 prefix are accepted and the
    value is normalised to E.164 by phonenumbers."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("label", "手机号")
        super().__init__(
            region="CN",
            error_messages={"required": "请输入手机号。", "invalid": "请输入正确的手机号。"},
            **kwargs,
        )
        self.widget.input_type = "tel"
        self.widget.attrs.update(
            {"autocomplete": "tel", "inputmode": "tel", "placeholder": "请输入手机号"}
        )

    def to_python(self, value: str) -> PhoneNumber | str:
        number = super().to_python(value)
        if isinstance(number, PhoneNumber) and number.is_valid():
            is_mobile = phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
            if number.country_code != 86 or not is_mobile:
                raise ValidationError("请输入中国大陆的手机号。", code="not_mobile")
        return number


class CaptchaInput(forms.TextInput):
    """Always drawn empty: each image is good for one try, so an old answer is never right."""

    def format_value(self, value: object) -> None:
        return None


def captcha_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label="数字验证码",
        required=required,
        error_messages={"required": "请输入图片中的数字验证码。"},
        widget=CaptchaInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "numeric",
                "maxlength": 6,
                "placeholder": "图片中的数字",
            }
        ),
    )


def sms_code_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label="短信验证码",
        required=required,
        error_messages={"required": "请输入短信验证码。"},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "maxlength": 6,
                "placeholder": "6位短信验证码",
            }
        ),
    )


class SendCodeForm(forms.Form):
    """发送验证短信: the phone and the image captcha. The SMS code box comes along only so that
    the page can show it again as typed."""

    phone = MobilePhoneField()
    # Which image the answer is for (accounts.captcha); drawn by the captcha include, fresh on
    # every page, never from the posted value.
    captcha_challenge = forms.CharField(required=False)
    captcha = captcha_field(required=True)
    sms_code = sms_code_field(required=False)

    def __init__(self, *args: object, captcha_check, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.captcha_check = captcha_check

    def clean_captcha(self) -> str:
        answer = self.cleaned_data["captcha"]
        challenge = self.cleaned_data.get("captcha_challenge", "")
        try:
            right = self.captcha_check(challenge, answer)
        except captcha.Throttled as throttled:
            at = timezone.localtime(throttled.retry_at)
            raise ValidationError(
                f"数字验证码错误次数过多，请于 {at:%H:%M} 后再试。", code="captcha_throttled"
            ) from None
        if not right:
            raise ValidationError("数字验证码不正确，请按新图片重新输入。", code="captcha")
        return answer


class CodeLoginForm(forms.Form):
    """登录 / 注册 / 立即绑定: the phone and the code texted to it. The image captcha guards
    sending only; its box is shown again, empty, for the next send."""

    phone = MobilePhoneField()
    captcha = captcha_field(required=False)
    sms_code = sms_code_field(required=True)

    def clean_sms_code(self) -> str:
        code = self.cleaned_data["sms_code"].strip()
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise ValidationError("短信验证码为6位数字。", code="format")
        return code


# 告知与同意 (accounts/consent.py): boxes left unticked, each an agreement of its own.
RULES_AGREEMENT = "我已阅读并同意《个人信息处理规则》"
SENSITIVE_AGREEMENT = "我单独同意平台为上述目的处理上述敏感个人信息"


def rules_agreement_field(*, required: bool) -> forms.BooleanField:
    return forms.BooleanField(
        label=RULES_AGREEMENT,
        required=required,
        error_messages={"required": "请阅读《个人信息处理规则》并勾选同意。"},
    )


class RegisterSendCodeForm(SendCodeForm):
    """注册's 发送验证短信: the agreement box comes along only to be shown again as ticked."""

    agree = rules_agreement_field(required=False)


class RegisterForm(CodeLoginForm):
    agree = rules_agreement_field(required=True)


class CreateAccountForm(forms.Form):
    """立即注册 after 登录 with a phone that has no account."""

    agree = rules_agreement_field(required=True)


class ConsentForm(forms.Form):
    """What an account must still agree to: the rules, the separate consent, or both, each a
    box of its own (accounts.consent.missing says which)."""

    def __init__(self, *args: object, needed: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if "rules" in needed:
            self.fields["rules"] = rules_agreement_field(required=True)
        if "sensitive" in needed:
            self.fields["sensitive"] = forms.BooleanField(
                label=SENSITIVE_AGREEMENT,
                error_messages={"required": "请勾选单独同意，否则无法进行实名认证和信息填报。"},
            )

    @property
    def agreed(self) -> list[str]:
        return [name for name in self.fields if self.cleaned_data.get(name)]


class NewPhoneSendCodeForm(SendCodeForm):
    phone = MobilePhoneField(label="新手机号码")

    def __init__(self, *args: object, current_phone: PhoneNumber, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.current_phone = current_phone

    def clean_phone(self) -> PhoneNumber:
        phone = self.cleaned_data["phone"]
        if phone == self.current_phone:
            raise ValidationError("新手机号码与当前手机号码相同。", code="same")
        return phone


class NewPhoneForm(CodeLoginForm):
    phone = MobilePhoneField(label="新手机号码")


class ConfirmPhoneSendCodeForm(SendCodeForm):
    """发送验证码 to the account's own phone: nothing to type but the captcha."""

    phone = None


class ConfirmPhoneForm(CodeLoginForm):
    phone = None


class RealNameForm(forms.Form):
    """立即实名: the name and the 18-digit resident ID number, as printed on the card."""

    real_name = forms.CharField(
        label="真实姓名",
        max_length=30,
        error_messages={"required": "请输入真实姓名。", "max_length": "姓名不能超过30个字。"},
        widget=forms.TextInput(attrs={"autocomplete": "name", "placeholder": "与身份证一致"}),
    )
    id_number = forms.CharField(
        label="证件号码",
        max_length=30,
        help_text="18位居民身份证号码，末位的X请按原样输入。",
        error_messages={"required": "请输入证件号码。", "max_length": "证件号码应为18位。"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_real_name(self) -> str:
        return realname.clean_name(self.cleaned_data["real_name"])

    def clean_id_number(self) -> str:
        return parse_id_number(self.cleaned_data["id_number"]).number
