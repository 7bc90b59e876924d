from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.hashers import make_password

from syllabus.accounts.models import Role, RoleAssignment, User

PASSWORD = "Correct-Horse-Battery-9"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.LazyFunction(lambda: make_password(PASSWORD))

    @factory.post_generation
    def site_roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        for slug in extracted or ():
            RoleAssignment.objects.create(user=self, role=Role.objects.get(slug=slug))
