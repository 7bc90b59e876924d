"""PlainSelect renders what Django's Select renders, without the template engine."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html
from hypothesis import given, settings
from hypothesis import strategies as st

from syllabus.core.widgets import PlainSelect

# Values and labels with the characters HTML needs escaped, and ones it does not.
_text = st.text(alphabet=st.sampled_from("ab<>&\"' é1-"), max_size=6)
_choices = st.lists(st.tuples(_text, _text), max_size=6)


def _both(choices, value, attrs=None) -> tuple[str, str]:
    ours = PlainSelect(choices=choices).render("pick", value, attrs)
    django = forms.Select(choices=choices).render("pick", value, attrs)
    return ours, django


@settings(max_examples=200, deadline=None)
@given(choices=_choices, value=st.one_of(st.none(), _text))
def test_renders_the_same_html_as_djangos_select(choices, value):
    ours, django = _both(choices, value, {"id": "id_pick", "aria-describedby": "help"})
    assert parse_html(ours) == parse_html(django)


def test_selects_the_value_and_escapes_labels_and_values():
    html = PlainSelect(choices=[("", "Any"), ("a&b", "<b>Bold</b>"), ("c", "C")]).render(
        "tag", "a&b", {"id": "id_tag", "required": True}
    )
    assert html == (
        '<select name="tag" id="id_tag" required><option value="">Any</option>'
        '<option value="a&amp;b" selected>&lt;b&gt;Bold&lt;/b&gt;</option>'
        '<option value="c">C</option></select>'
    )


def test_only_the_first_of_two_equal_values_is_selected_as_in_django():
    choices = [("x", "One"), ("x", "Two")]
    ours, django = _both(choices, "x")
    assert ours.count(" selected") == 1
    assert parse_html(ours) == parse_html(django)


def test_option_groups_are_refused_rather_than_rendered_wrongly():
    widget = PlainSelect(choices=[("Group", [("a", "A")])])
    with pytest.raises(ValueError, match="flat choices"):
        widget.render("pick", None)


def test_a_bound_form_renders_it_with_its_id_and_value():
    class Filter(forms.Form):
        level = forms.ChoiceField(
            required=False, choices=[("", "Any"), ("intro", "Intro")], widget=PlainSelect
        )

    html = str(Filter({"level": "intro"})["level"])
    assert parse_html(html) == parse_html(
        '<select name="level" id="id_level"><option value="">Any</option>'
        '<option value="intro" selected>Intro</option></select>'
    )
