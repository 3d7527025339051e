from celery import shared_task

from . import services


@shared_task(name="accounts.purge_entry_nonces", ignore_result=True)
def entry_nonces_purge() -> int:
    return services.entry_nonces_purge()
