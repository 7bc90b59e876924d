from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    no_translations,
)

from syllabus.privacy.models import PolicyDocument
from syllabus.privacy.selectors import current_policies
from syllabus.privacy.services import policy_publish


class Command(BaseCommand):
    help = "Publish or list versions of the privacy policy and terms of use."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{publish,list}")
        publish = sub.add_parser(
            "publish",
            help="publish a new version; everyone is asked to accept it at their next visit",
        )
        publish.add_argument("kind", choices=PolicyDocument.Kind.values)
        publish.add_argument("file", type=Path, help="the text, in Markdown")
        publish.add_argument("--title", required=True)
        sub.add_parser("list", help="list the current versions")

    @no_translations  # operator output stays English, whatever the site's language
    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            documents = current_policies()
            if not documents:
                self.stdout.write("Nothing published: nobody is asked to accept anything.")
            for document in documents:
                self.stdout.write(
                    f"{document.kind:<8} v{document.version:<4} {document.published_at:%Y-%m-%d} "
                    f"{document.title} ({document.consents.count()} acceptances)"
                )
            return
        path: Path = options["file"]
        try:
            body = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None
        try:
            document = policy_publish(
                actor=None, kind=options["kind"], title=options["title"], body=body
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Published {document}."))
