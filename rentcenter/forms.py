"""What every form page shares: the list behind the error summary."""

from django import forms
from django.forms.formsets import BaseFormSet


def summary_errors(*items: forms.BaseForm | BaseFormSet) -> list[tuple[str, str]]:
    """(anchor, message) for each error of the forms and formsets, in page order.

    Anchors point at the field's wrapper (id="field-<name>" in includes/field.html), so that
    radio groups and file inputs are reached as well as text boxes.
    """
    errors: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, BaseFormSet):
            anchor = f"{item.prefix}-errors"
            errors += [(anchor, message) for message in item.non_form_errors()]
            label = getattr(item, "label", "第")
            for index, form in enumerate(item.forms):
                errors += [
                    (anchor_, f"{label} {index + 1} · {message}")
                    for anchor_, message in summary_errors(form)
                ]
            continue
        errors += [("main", message) for message in item.non_field_errors()]
        for name, field_errors in item.errors.items():
            if name == forms.forms.NON_FIELD_ERRORS:
                continue
            bound = item[name]
            errors += [
                (f"field-{bound.html_name}", f"{bound.label}：{error}") for error in field_errors
            ]
    return errors
