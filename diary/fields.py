from django import forms
from django.core import exceptions
from django.db import models


class ChoiceListField(models.CharField):
    """Any number of values from a fixed set of choices, stored as "a,b" in one column.

    One portable column (SQLite and PostgreSQL alike) keeps a month's counts to one query:
    no value is a substring of another within a set, so `__contains` matches exactly.
    Values are kept in the order the choices list them, so equal selections store equally.
    """

    def __init__(self, *args, choices=None, **kwargs):
        self.item_choices = list(choices or [])
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["choices"] = self.item_choices
        if kwargs.get("max_length") == 200:
            del kwargs["max_length"]
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        if kwargs.get("default") is list:
            del kwargs["default"]
        return name, path, args, kwargs

    @property
    def item_values(self):
        return [value for value, _label in self.item_choices]

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return value.split(",")
        return list(value)

    def get_prep_value(self, value):
        if isinstance(value, str):
            return value
        chosen = set(value or [])
        return ",".join(item for item in self.item_values if item in chosen)

    def validate(self, value, model_instance):
        unknown = [item for item in value if item not in self.item_values]
        if unknown:
            raise exceptions.ValidationError(
                "%(value)s is not one of the available choices.",
                code="invalid_choice",
                params={"value": ", ".join(unknown)},
            )

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": self.item_choices,
            "required": not self.blank,
            "widget": forms.CheckboxSelectMultiple,
            "label": self.verbose_name.capitalize(),
            "help_text": self.help_text,
        }
        defaults.update(kwargs)
        form_class = defaults.pop("form_class")
        defaults.pop("choices_form_class", None)
        defaults.pop("max_length", None)
        defaults.pop("empty_value", None)
        return form_class(**defaults)

    def labels(self, values):
        names = dict(self.item_choices)
        return [names.get(value, value) for value in values]
