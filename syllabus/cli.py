"""The ``syllabus`` command: every operator task is one of its subcommands.

Subcommands are Django management commands, so ``syllabus <command> --help`` works for
each and a wrong argument prints usage and exits 2. Django's own commands (``shell``,
``dbshell``, ``showmigrations`` …) are reachable the same way.
"""

from __future__ import annotations

import os
import sys

import syllabus

OVERVIEW = """\
usage: syllabus <command> [options]

Syllabus {version}: an open-source learning management system.

Commands:
  serve          serve the web application with gunicorn
  worker         run the background job worker and its scheduler
  migrate        create or upgrade the database tables
  createadmin    create an administrator account
  demo           load demo users and content (idempotent)
  check          check the configuration; --deploy: the production checklist
  audit          verify the audit trail's hash chain, or purge expired events
  roles          list roles, grant or remove a site role, create a custom role
  tokens         create, list or revoke personal API tokens
  lockouts       list or clear sign-in lockouts
  mfa            show or reset a user's two-factor authentication
  courses        list courses and members; give or remove a course role
  backup         back up the database and uploaded files (encrypted); --verify, --prune
  verify-backup  prove a backup restores: restore it into a scratch database and compare
  restore        restore a backup (asks for confirmation; --force over a non-empty database)
  backups        list the backups in the backup location
  prune-backups  delete backups past SYLLABUS_BACKUP_RETENTION_DAYS
  access-review  start a quarterly access review, show campaigns, remind reviewers
  compliance-report  the compliance evidence (MFA, reviews, backups...) as text, CSV or PDF
  rotate-keys    re-encrypt encrypted fields under the current key (--dry-run first)
  generate-field-key  print a new key for SYLLABUS_FIELD_KEYS
  retention      apply the data retention policy (--dry-run: what would happen, per category)
  privacy-policy publish or list versions of the privacy policy and terms
  help           list every command, including Django's (shell, dbshell, ...)

Run 'syllabus <command> --help' for a command's options.
Configuration comes from the environment: see docs/configuration.md.
"""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.config.settings")
    if not args or args[0] in ("-h", "--help"):
        print(OVERVIEW.format(version=syllabus.__version__))
        return 0
    if args[0] in ("-V", "--version", "version"):
        print(f"syllabus {syllabus.__version__}")
        return 0

    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import ManagementUtility, get_commands

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        print(f"syllabus: configuration error: {exc}", file=sys.stderr)
        return 1

    # Multi-word commands are spelled with hyphens (rotate-keys); modules use underscores.
    if args[0] not in get_commands() and args[0].replace("-", "_") in get_commands():
        args[0] = args[0].replace("-", "_")
    if args[0] != "help" and args[0] not in get_commands():
        print(OVERVIEW.format(version=syllabus.__version__), file=sys.stderr)
        print(f"syllabus: error: unknown command {args[0]!r}", file=sys.stderr)
        return 2

    utility = ManagementUtility(["syllabus", *args])
    utility.prog_name = "syllabus"
    try:
        utility.execute()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0
