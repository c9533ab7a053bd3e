"""File storage: the private storage, and files that leave when their row no longer names them.

Private storage holds originals and applicants' documents, never served by URL. Model fields
take `storage=private_storage`, a callable, so migrations name the function rather than a
configured instance. The instance it returns follows changes of the STORAGES setting (tests
point it at a temporary folder).

A public file stays public at its address as long as it is stored: a staff member who deletes
an announcement attachment or replaces a project photo means it to be gone, not merely
unlinked (issue 17, finding 7). `remove_replaced_files(Model)` makes every file field of a
model behave so: when a row is deleted, or saved naming another file, the file it named is
deleted from its storage once the transaction commits (never before: a change that rolls back
still names it), unless another row of the model still names it. Applicants' documents are not
given this: they are kept for the reviewers (PRODUCT.md).
"""

import logging
from collections.abc import Iterable

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

logger = logging.getLogger(__name__)


class _PrivateStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages["private"]


_private = _PrivateStorage()


def private_storage() -> Storage:
    return _private  # type: ignore[return-value]


@receiver(setting_changed)
def _reset_private_storage(*, setting: str, **kwargs: object) -> None:
    if setting == "STORAGES":
        _private._wrapped = empty


# Files that leave with their row ---------------------------------------------------------------


def _file_fields(model: type[models.Model]) -> list[models.FileField]:
    return [field for field in model._meta.get_fields() if isinstance(field, models.FileField)]


def _remove_after_commit(model: type[models.Model], files: Iterable[tuple[str, str]]) -> None:
    """Delete each (field, name) from its field's storage once committed, unless a row of
    `model` names it then."""
    files = [(field, name) for field, name in files if name]
    if not files:
        return

    def remove() -> None:
        for field_name, name in files:
            if model._default_manager.filter(**{field_name: name}).exists():
                continue
            storage = model._meta.get_field(field_name).storage
            try:
                storage.delete(name)
            except OSError:
                logger.warning("could not delete %s from storage", name, exc_info=True)

    transaction.on_commit(remove)


def _note_replaced(sender: type[models.Model], instance: models.Model, **kwargs) -> None:
    """pre_save: remember which stored names this save replaces (one query, only for rows that
    exist already); post_save removes them."""
    instance._replaced_files = []
    if instance.pk is None or kwargs.get("raw"):
        return
    names = [field.name for field in _file_fields(sender)]
    before = sender._default_manager.filter(pk=instance.pk).values(*names).first()
    if before:
        instance._replaced_files = [
            (name, before[name])
            for name in names
            if before[name] and before[name] != getattr(instance, name).name
        ]


def _remove_replaced(sender: type[models.Model], instance: models.Model, **kwargs) -> None:
    _remove_after_commit(sender, getattr(instance, "_replaced_files", []))
    instance._replaced_files = []


def _remove_deleted(sender: type[models.Model], instance: models.Model, **kwargs) -> None:
    fields = _file_fields(sender)
    _remove_after_commit(
        sender, [(field.name, getattr(instance, field.name).name) for field in fields]
    )


def remove_replaced_files(model: type[models.Model]) -> None:
    """Connect the receivers above for `model` (called from its app's ready())."""
    uid = f"storage:{model._meta.label}"
    pre_save.connect(_note_replaced, sender=model, dispatch_uid=uid)
    post_save.connect(_remove_replaced, sender=model, dispatch_uid=uid)
    post_delete.connect(_remove_deleted, sender=model, dispatch_uid=uid)
