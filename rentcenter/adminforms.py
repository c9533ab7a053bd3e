"""Admin forms that screen readers can name (issue 12, the accessibility gate: axe's `label`,
WCAG 1.3.1 and 4.1.2).

Django admin leaves two kinds of inputs without a label: the date and the time of a
date-and-time field (one label that points at neither input, as Django labels no MultiWidget),
and every input of a tabular inline (a column header above, no label). These mixins give each
one an `aria-label` made from the field's own label.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.http import HttpRequest


def _name_inputs(field: forms.Field) -> None:
    if isinstance(field.widget, AdminSplitDateTime):
        date_input, time_input = field.widget.widgets
        date_input.attrs["aria-label"] = f"{field.label}（日期）"
        time_input.attrs["aria-label"] = f"{field.label}（时间）"


class LabelledDateTimes:
    """For a ModelAdmin: "登记开始日期（日期）" and "登记开始日期（时间）"."""

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            _name_inputs(field)
        return field


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs are named by their column ("房源套数", "删除")."""

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class Labelled(formset):
            def add_fields(self, form: forms.Form, index: int | None) -> None:
                super().add_fields(form, index)
                for field in form.fields.values():
                    _name_inputs(field)
                    if field.label and not isinstance(field.widget, AdminSplitDateTime):
                        field.widget.attrs.setdefault("aria-label", str(field.label))

        Labelled.__name__ = formset.__name__
        return Labelled
