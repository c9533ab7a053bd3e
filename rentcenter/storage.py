"""The private file storage: originals and applicants' documents, never served by URL.

Model fields take `storage=private_storage`, a callable, so migrations name the function
rather than a configured instance. The instance it returns follows changes of the STORAGES
setting (tests point it at a temporary folder).
"""

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


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
