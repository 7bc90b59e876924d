"""Migration operations that build indexes without locking tables on PostgreSQL.

``CREATE INDEX`` blocks writes to the table until the index is built: on a large table
that is minutes of failed writes while the previous release still serves. PostgreSQL's
``CREATE INDEX CONCURRENTLY`` does not block writes, but cannot run in a transaction,
so a migration using these operations sets ``atomic = False`` and holds only index
work (or only quick, one-statement steps before it). On SQLite and other databases they
are the plain operations: one machine, nothing else serving while it migrates.

- ``AddIndexConcurrently`` / ``RemoveIndexConcurrently``: ``Meta.indexes`` entries.
- ``AddFieldWithoutIndex`` + ``AddFieldIndexConcurrently``: a new foreign key (or
  ``db_index=True`` field) on an existing table. The column is added without its index,
  then the index Django would have made (same name, same definition) is built
  concurrently, so the schema is identical to a plain ``AddField``.

The migration linter (``deploy/scripts/lint-migrations.sh``) flags an index built inside
a transaction on an existing table; these are the fix it asks for.
"""

from __future__ import annotations

import copy
from typing import Any

from django.db import NotSupportedError, migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState


def _concurrently(schema_editor: BaseDatabaseSchemaEditor, operation: object) -> bool:
    """True on PostgreSQL, where the operation must run outside a transaction."""
    if schema_editor.connection.vendor != "postgresql":
        return False
    if schema_editor.connection.in_atomic_block:
        raise NotSupportedError(
            f"{type(operation).__name__} builds its index concurrently on PostgreSQL and "
            "cannot run inside a transaction: set atomic = False on the migration."
        )
    return True


class AddIndexConcurrently(migrations.AddIndex):
    """``AddIndex`` with ``CREATE INDEX CONCURRENTLY`` on PostgreSQL."""

    atomic = False

    def describe(self) -> str:
        return f"Create index {self.index.name} on {self.model_name} (concurrently on PostgreSQL)"

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not _concurrently(schema_editor, self):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)  # type: ignore[call-arg]

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not _concurrently(schema_editor, self):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)  # type: ignore[call-arg]


class RemoveIndexConcurrently(migrations.RemoveIndex):
    """``RemoveIndex`` with ``DROP INDEX CONCURRENTLY`` on PostgreSQL."""

    atomic = False

    def describe(self) -> str:
        return f"Remove index {self.name} from {self.model_name} (concurrently on PostgreSQL)"

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not _concurrently(schema_editor, self):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.remove_index(model, index, concurrently=True)  # type: ignore[call-arg]

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not _concurrently(schema_editor, self):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.add_index(model, index, concurrently=True)  # type: ignore[call-arg]


class AddFieldWithoutIndex(migrations.AddField):
    """``AddField`` whose column is created without its index on PostgreSQL (the state
    gets the field as given, so ``makemigrations`` sees no change): follow it with
    ``AddFieldIndexConcurrently`` in a non-atomic migration. Elsewhere a plain
    ``AddField``: SQLite rebuilds tables from the state, index included, anyway."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        to_model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, to_model):
            return
        from_model = from_state.apps.get_model(app_label, self.model_name)
        field: Any = copy.copy(to_model._meta.get_field(self.name))
        field.db_index = False  # a copy: the rendered state keeps its index
        if not self.preserve_default:
            field.default = self.field.default
        schema_editor.add_field(from_model, field)


class AddFieldIndexConcurrently(migrations.operations.base.Operation):
    """On PostgreSQL, build the index Django makes for ``db_index`` (a foreign key's, by
    default) of a field that ``AddFieldWithoutIndex`` added, concurrently. The name and
    definition are Django's own, so the result equals a plain ``AddField``'s. Reversed, it
    drops it. Elsewhere nothing: ``AddFieldWithoutIndex`` made the index already."""

    atomic = False
    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, name: str) -> None:
        self.model_name = model_name
        self.name = name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            type(self).__qualname__,
            [],
            {"model_name": self.model_name, "name": self.name},
        )

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        """No change: the field (with db_index) is already in the state."""

    def describe(self) -> str:
        return f"Create the index of {self.model_name}.{self.name} (concurrently on PostgreSQL)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_{self.name.lower()}_index"

    def _model_field(
        self, app_label: str, state: ProjectState
    ) -> tuple[type[models.Model], models.Field[Any, Any]]:
        model = state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        assert isinstance(field, models.Field)  # a concrete field, not a relation's reverse
        if not getattr(field, "db_index", False):
            raise ValueError(f"{self.model_name}.{self.name} has no db_index to build")
        return model, field

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        model, field = self._model_field(app_label, to_state)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if not _concurrently(schema_editor, self):
            return
        # PostgreSQL adds a second, *_like index to indexed text columns: not built here.
        if field.get_internal_type() in ("CharField", "TextField", "SlugField"):
            raise ValueError(f"{self.model_name}.{self.name}: text columns are not supported")
        editor: Any = schema_editor  # PostgreSQL's editor: its index SQL takes concurrently
        schema_editor.execute(editor._create_index_sql(model, fields=[field], concurrently=True))

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        model, field = self._model_field(app_label, from_state)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if not _concurrently(schema_editor, self):
            return
        editor: Any = schema_editor  # PostgreSQL's editor: Django's own index name and SQL
        name = editor._create_index_name(model._meta.db_table, [field.column], suffix="")
        schema_editor.execute(editor._delete_index_sql(model, name, concurrently=True))


class AddFieldWithDatabaseDefault(migrations.AddField):
    """``AddField`` of a NOT NULL column whose constant Python ``default`` stays the
    column's ``DEFAULT`` in the database. A plain ``AddField`` drops it at once, and the
    previous release (still serving during the rollout, and not knowing the column)
    would then fail every INSERT with a NOT NULL violation. The state is the field as
    given (no ``db_default``), so ``makemigrations`` sees no change."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        to_model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, to_model):
            return
        from_model = from_state.apps.get_model(app_label, self.model_name)
        default = self.field.default
        if callable(default) or default is models.NOT_PROVIDED:
            raise ValueError(f"{self.model_name}.{self.name} needs a constant default")
        current: Any = to_model._meta.get_field(self.name)
        _, _, args, kwargs = current.deconstruct()
        field = type(self.field)(*args, **{**kwargs, "db_default": default})
        field.set_attributes_from_name(self.name)
        field.model = to_model
        schema_editor.add_field(from_model, field)
