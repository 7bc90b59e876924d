"""HTML forms of the catalog: the search and filter box, and a category."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from syllabus.core.widgets import PlainSelect
from syllabus.courses.models import Course
from syllabus.courses.selectors import SORTS, CatalogFilters
from syllabus.courses.services_catalog import DESCRIPTION_MAX, NAME_MAX, POSITION_MAX, SLUG_MAX

QUERY_MAX = 200
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")


class SlugChoiceField(forms.ChoiceField):
    """Offers the categories or tags that have published courses, and accepts any
    well-formed slug (a link from a draft course's page, or a category emptied since the
    link was made): an unknown one simply finds no course."""

    def valid_value(self, value: str) -> bool:
        return bool(_SLUG.fullmatch(value)) or super().valid_value(value)


class CatalogFilterForm(forms.Form):
    """The catalog's GET form. Category and tag choices are those with published courses."""

    q = forms.CharField(label=_("Search courses"), required=False, max_length=QUERY_MAX)
    category = SlugChoiceField(label=_("Category"), required=False, widget=PlainSelect)
    level = forms.ChoiceField(
        label=_("Level"),
        required=False,
        choices=[("", _("Any level")), *Course.Level.choices],
        widget=PlainSelect,
    )
    tag = SlugChoiceField(label=_("Topic"), required=False, widget=PlainSelect)
    has_places = forms.BooleanField(label=_("Only courses with free places"), required=False)
    sort = forms.ChoiceField(
        label=_("Order"), required=False, choices=list(SORTS.items()), widget=PlainSelect
    )

    def __init__(self, *args: Any, choices: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category_field = self.fields["category"]
        tag_field = self.fields["tag"]
        assert isinstance(category_field, forms.ChoiceField)
        assert isinstance(tag_field, forms.ChoiceField)
        category_field.choices = [("", _("Any category"))] + [
            (c["slug"], c["name"]) for c in choices["categories"]
        ]
        tag_field.choices = [("", _("Any topic"))] + [
            (t["slug"], t["name"]) for t in choices["tags"]
        ]

    def filters(self) -> CatalogFilters:
        """The validated filters (call after ``is_valid``); invalid ones are dropped."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return CatalogFilters(
            q=(data.get("q") or "").strip(),
            category=data.get("category") or "",
            level=data.get("level") or "",
            tag=data.get("tag") or "",
            has_places=bool(data.get("has_places")),
            sort=data.get("sort") or "",
        )


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    slug = forms.SlugField(
        label=_("Address (slug)"),
        max_length=SLUG_MAX,
        required=False,
        help_text=_(
            "Used in catalog links, e.g. data-and-analytics. Leave empty to make one from the name."
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=POSITION_MAX,
        initial=0,
        help_text=_("Categories are listed by position, then by name."),
    )
