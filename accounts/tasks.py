from celery import shared_task

from .services import entry_nonces_purge


@shared_task(name="accounts.purge_entry_nonces", ignore_result=True)
def purge_entry_nonces() -> int:
    return entry_nonces_purge()
