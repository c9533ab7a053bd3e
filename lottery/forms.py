from django import forms

from lottery.models import Draw, Eligibility
from lottery.verify import check_seed


class FreezeForm(forms.Form):
    mode = forms.ChoiceField(
        label="参加摇号的登记",
        choices=Eligibility.choices,
        initial=Eligibility.ACTIVE,
        widget=forms.RadioSelect,
    )
    seed_source = forms.CharField(
        label="预告的种子来源",
        max_length=Draw._meta.get_field("announced_seed_source").max_length,
        help_text="与名单一同公布，例如：2026年12月20日 北京市方正公证处 公开摇出的号码。",
        error_messages={"required": "请填写预告的种子来源。"},
    )


class DrawForm(forms.Form):
    seed = forms.CharField(
        label="种子",
        max_length=Draw._meta.get_field("seed").max_length,
        help_text="按种子来源公布的原样输入（一行文字，前后空格会被去掉）；摇号后原样公布。",
        error_messages={"required": "请填写种子。"},
    )
    seed_source = forms.CharField(
        label="种子来源",
        max_length=Draw._meta.get_field("seed_source").max_length,
        help_text="例如：2026年12月20日 北京市方正公证处 公开摇出的号码（公证书编号）。",
        error_messages={"required": "请填写种子来源。"},
    )

    def clean_seed(self) -> str:
        seed = self.cleaned_data["seed"]
        try:
            return check_seed(seed)
        except ValueError:
            raise forms.ValidationError("种子必须是一行文字。") from None
