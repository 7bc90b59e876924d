"""``syllabus access-review start|status|remind``: quarterly access reviews from the
command line (the web pages are at /access-reviews/)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    no_translations,
)
from django.template.defaultfilters import pluralize

from syllabus.accounts.models import User
from syllabus.reviews.models import Campaign
from syllabus.reviews.services import campaign_start, progress, remind_reviewers


class Command(BaseCommand):
    help = "Start an access review campaign, show campaigns, or remind reviewers."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{start,status,remind}")
        start = sub.add_parser("start", help="snapshot every role assignment into a campaign")
        start.add_argument("--name", default="", help="campaign name (default: the quarter)")
        start.add_argument(
            "--reviewer",
            metavar="EMAIL",
            help="who reviews assignments of people without a manager "
            "(default: the longest-standing compliance officer)",
        )
        sub.add_parser("status", help="list campaigns and their progress")
        remind = sub.add_parser("remind", help="notify reviewers with items pending")
        remind.add_argument("campaign", help="the campaign id (arc_...)")

    @no_translations  # operator output stays English, whatever the site's language
    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "start":
            self._start(options["name"], options["reviewer"])
        elif action == "status":
            self._status()
        else:
            campaign = Campaign.objects.filter(public_id=options["campaign"]).first()
            if campaign is None or campaign.status != Campaign.Status.OPEN:
                raise CommandError(f"No open campaign {options['campaign']!r}.")
            count = remind_reviewers(campaign=campaign)
            self.stdout.write(self.style.SUCCESS(f"Reminded {count} reviewer{pluralize(count)}."))

    def _start(self, name: str, reviewer_email: str | None) -> None:
        reviewer = None
        if reviewer_email:
            reviewer = User.objects.filter(email__iexact=reviewer_email).first()
            if reviewer is None:
                raise CommandError(f"No account has the email address {reviewer_email!r}.")
        try:
            campaign = campaign_start(actor=None, name=name, default_reviewer=reviewer)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        counts = progress(campaign)
        self.stdout.write(
            self.style.SUCCESS(
                f"Started {campaign.name} ({campaign.public_id}): {counts['total']} assignments, "
                f"{counts['privileged']} privileged, {counts['leavers']} held by leavers, "
                f"{counts['unassigned']} without a reviewer. Due "
                f"{campaign.due_at:%Y-%m-%d}."
            )
        )

    def _status(self) -> None:
        campaigns = list(Campaign.objects.all()[:20])
        if not campaigns:
            self.stdout.write("No access review campaign yet: `syllabus access-review start`.")
            return
        for campaign in campaigns:
            counts = progress(campaign)
            self.stdout.write(
                f"{campaign.public_id}  {campaign.name:<28} {campaign.get_status_display():<12} "
                f"{counts['decided']:>5}/{counts['total']:<5} reviewed  "
                f"{counts['revoke']} revoke ({counts['applied']} applied)  "
                f"due {campaign.due_at:%Y-%m-%d}"
            )
