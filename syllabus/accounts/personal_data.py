"""Personal data declarations of the accounts app for the privacy registry
(``syllabus.privacy.registry``): exports carry the decrypted values, erasure deletes them."""

from __future__ import annotations

PERSONAL_DATA = [
    {
        "model": "accounts.PersonalDetails",
        "subject_fields": ["user"],
        "export": [
            "date_of_birth",
            "postal_address",
            "id_number",
            "accommodation_notes",
            "medical_notes",
            "updated_at",
        ],
        "secret": ["id_number_index"],  # an HMAC of the id number: nothing to give back
        "erasure": "delete",
        "category": "user_profiles",
        "note": "Date of birth, address, id number, accommodation and medical notes, given "
        "by the person on their profile; stored encrypted (docs/encryption.md).",
    },
]
