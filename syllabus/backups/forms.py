from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from syllabus.backups.location import NAME_RE


class VerifyForm(forms.Form):
    """Which archive to verify: one of those in the backup location."""

    archive = forms.CharField(label=_("Archive to verify"), max_length=100)

    def __init__(self, *args: object, archives: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.archives = archives

    def clean_archive(self) -> str:
        name: str = self.cleaned_data["archive"].strip()
        if not NAME_RE.match(name):
            raise forms.ValidationError(_("This is not a backup archive name."))
        if name not in self.archives:
            raise forms.ValidationError(
                _("There is no archive with this name in the backup location.")
            )
        return name
