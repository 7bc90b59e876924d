"""``{% mfa_summary %}``: the signed-in user's second factors and what they can do with each."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from syllabus.accounts.mfa import mfa_overview
from syllabus.accounts.one_time_codes import EMAIL, SMS

register = template.Library()


@register.inclusion_tag("accounts/security/_mfa_summary.html", takes_context=True)
def mfa_summary(context: template.Context, user: Any = None) -> dict[str, Any]:
    user = user or context["request"].user
    overview = mfa_overview(user)
    return {
        "overview": overview,
        "site_name": context.get("site_name", ""),
        "code_rows": [
            (EMAIL, _("Codes by email"), overview.code_methods.get(EMAIL)),
            (SMS, _("Codes by text message"), overview.code_methods.get(SMS)),
        ],
    }
