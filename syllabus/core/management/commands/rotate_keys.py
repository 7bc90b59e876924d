"""``syllabus rotate-keys``: re-encrypt every encrypted value under the current key."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from syllabus.accounts.mfa_rotation import MfaSecretsSource
from syllabus.audit.services import record
from syllabus.core.crypto import CryptoError, keyring
from syllabus.core.rotation import DEFAULT_BATCH, Count, Source, model_sources


def rotation_sources() -> list[Source]:
    sources: list[Source] = [*model_sources(), MfaSecretsSource()]
    return sources


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value (personal details, phone numbers, MFA secrets) and "
        "blind index under the current key of SYLLABUS_FIELD_KEYS, in batches. Refuses "
        "before writing anything when a stored value names a key the ring lacks or a key "
        "does not open its values. Safe to interrupt and run again: each run rewrites only "
        "what is not under the current key yet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the keys and count what would be rewritten; write nothing",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH,
            help=f"rows per transaction (default {DEFAULT_BATCH})",
        )

    def handle(self, *args: Any, dry_run: bool, batch_size: int, **options: Any) -> None:
        if not 1 <= batch_size <= 10_000:
            raise CommandError("--batch-size must be between 1 and 10000.")
        ring = keyring()
        current = ring.current.key_id
        try:  # the current key must work at all before any value is touched
            ring.open(ring.seal(b"rotate-keys self-test", "self-test"), "self-test")
        except CryptoError as exc:  # pragma: no cover - only a broken crypto backend
            raise CommandError(f"The current key {current!r} does not work: {exc}") from exc
        sources = rotation_sources()

        problems = [problem for source in sources for problem in source.problems(ring)]
        if problems:
            if not dry_run:
                record(
                    actor=None,
                    action="crypto.rotation_refused",
                    details={
                        "current_key": current,
                        "problems": [p.message for p in problems],
                        "key_ids": sorted({p.key_id for p in problems if p.key_id}),
                    },
                )
            raise CommandError(
                "Key rotation refused, nothing was rewritten:\n"
                + "\n".join(f"  - {p.message}" for p in problems)
            )

        counts = {source.label: source.count(ring) for source in sources}
        self._print_counts(counts, current, ring.key_ids)
        stale = sum(count.stale for count in counts.values())
        if dry_run:
            self.stdout.write(f"Dry run: {stale} rows would be re-encrypted under {current!r}.")
            return
        if not stale:
            self.stdout.write(self.style.SUCCESS(f"Every value is under {current!r} already."))
            return

        record(
            actor=None,
            action="crypto.rotation_started",
            details={
                "current_key": current,
                "ring": list(ring.key_ids),
                "stale_rows": {label: c.stale for label, c in counts.items() if c.stale},
            },
        )
        started = time.monotonic()
        rewritten: dict[str, int] = {}
        with Progress(
            TextColumn("Re-encrypting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
            disable=not self.stdout.isatty(),
        ) as progress:
            bar = progress.add_task("rotate", total=stale)
            for source in sources:
                if not counts[source.label].stale:
                    continue
                rewritten[source.label] = source.rotate(
                    ring, batch_size=batch_size, on_batch=lambda n: progress.advance(bar, n)
                )
        seconds = max(time.monotonic() - started, 1e-6)
        total = sum(rewritten.values())
        remaining = sum(source.count(ring).stale for source in sources)
        record(
            actor=None,
            action="crypto.keys_rotated",
            details={
                "current_key": current,
                "rewritten_rows": rewritten,
                "total_rows": total,
                "seconds": round(seconds, 3),
                "rows_per_second": round(total / seconds, 1),
                "remaining_stale_rows": remaining,
            },
        )
        for label, n in rewritten.items():
            self.stdout.write(f"  {label:<40} {n:>8} rows re-encrypted")
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {total} rows under {current!r} in {seconds:.2f} s "
                f"({total / seconds:.0f} rows/s)."
            )
        )
        if remaining:
            self.stdout.write(
                self.style.WARNING(
                    f"{remaining} rows changed meanwhile under another key (a server with an "
                    "older SYLLABUS_FIELD_KEYS?): run rotate-keys again once every server "
                    "has the new ring."
                )
            )
        else:
            older = [k for k in ring.key_ids if k != current]
            if older:
                self.stdout.write(
                    f"No stored value needs {', '.join(repr(k) for k in older)} any more. "
                    "Keep older keys in SYLLABUS_FIELD_KEYS until the backups taken before "
                    "now have expired (a restored backup needs them), then remove them."
                )

    def _print_counts(self, counts: dict[str, Count], current: str, ring: tuple[str, ...]) -> None:
        self.stdout.write(f"Current key {current!r}; ring: {', '.join(ring)}.")
        for label, count in counts.items():
            self.stdout.write(
                f"  {label:<40} {count.rows:>8} rows with values, {count.stale:>8} to re-encrypt"
            )
