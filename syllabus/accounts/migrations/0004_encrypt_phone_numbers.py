"""Encrypt the phone numbers stored in clear before field encryption (and back, reversed).

Reads and writes the raw column: the field's own conversion would take a clear value for
a ciphertext. Each value is bound to ``accounts_user.phone_number.<public_id>`` exactly as
``syllabus.core.fields.EncryptedCharField(row_field="public_id")`` binds it.
"""

from django.db import migrations

BATCH = 500


def _rows(User):
    return (
        User.objects.exclude(phone_number="")
        .exclude(phone_number__isnull=True)
        .order_by("pk")
        .values_list("pk", "public_id", "phone_number")
    )


def _rewrite(apps, convert):
    from syllabus.core.fields import Ciphertext

    User = apps.get_model("accounts", "User")
    table, column = User._meta.db_table, User._meta.get_field("phone_number").column
    last = 0
    while batch := list(_rows(User).filter(pk__gt=last)[:BATCH]):
        for pk, public_id, raw in batch:
            new = convert(str(raw), f"{table}.{column}.{public_id}")
            if new is not None:
                User.objects.filter(pk=pk).update(phone_number=Ciphertext(new))
        last = batch[-1][0]


def encrypt_phone_numbers(apps, schema_editor):
    from syllabus.core.crypto import is_sealed, keyring

    ring = keyring()
    _rewrite(apps, lambda raw, ctx: None if is_sealed(raw) else ring.seal(raw.encode(), ctx))


def decrypt_phone_numbers(apps, schema_editor):
    from syllabus.core.crypto import is_sealed, keyring

    ring = keyring()
    _rewrite(apps, lambda raw, ctx: ring.open(raw, ctx).decode() if is_sealed(raw) else None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_personal_details_encrypted_phone")]

    operations = [migrations.RunPython(encrypt_phone_numbers, decrypt_phone_numbers)]
