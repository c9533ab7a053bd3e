"""Forms of the privacy pages: the code texted to the account's own phone (the forms of
验证当前手机号), and for 注销账号 the confirmation box."""

from django import forms

from accounts.forms import ConfirmPhoneForm, ConfirmPhoneSendCodeForm

CONFIRM_CLOSURE = "我已阅读以上说明，确认注销账号，并知晓注销后无法恢复"


def closure_confirmation(*, required: bool) -> forms.BooleanField:
    return forms.BooleanField(
        label=CONFIRM_CLOSURE,
        required=required,
        error_messages={"required": "请勾选确认后再注销账号。"},
    )


class CloseSendCodeForm(ConfirmPhoneSendCodeForm):
    confirm = closure_confirmation(required=False)  # kept as ticked when the form comes back


class CloseAccountForm(ConfirmPhoneForm):
    confirm = closure_confirmation(required=True)
