from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = _("审核")

    def ready(self):
        from django.db.models.signals import post_delete, post_save, pre_save

        from accounts.models import Candidate  # models load after the app registry

        from . import receivers  # noqa: F401  # connects them; it imports models: apps are ready now

        # The per-site status counts (review.models.SiteStatusCount) follow every candidate
        # created, moved to another site or status by save(), or deleted. The candidate
        # transition moves its own (it writes with a conditional update, which sends no
        # signal).
        pre_save.connect(_candidate_before, sender=Candidate, dispatch_uid="review-counts-pre")
        post_save.connect(_candidate_after, sender=Candidate, dispatch_uid="review-counts-post")
        post_delete.connect(_candidate_gone, sender=Candidate, dispatch_uid="review-counts-del")


# What each candidate being saved was counted as, by object, until its post_save.
_COUNTED: dict[int, tuple[int, int, str]] = {}


def _candidate_before(sender, instance, update_fields=None, **kwargs):
    _COUNTED.pop(id(instance), None)  # a save that failed after its pre_save left one
    if instance.pk is None:
        return
    if update_fields is not None and not {"site", "status"} & set(update_fields):
        return
    old = (
        sender.objects.filter(pk=instance.pk)
        .values_list("site_id", "province_id", "status")
        .first()
    )
    if old is not None:
        _COUNTED[id(instance)] = old


def _candidate_after(sender, instance, created, **kwargs):
    from .models import SiteStatusCount  # models cannot load before the app registry is ready

    if created:
        SiteStatusCount.objects.add(
            site_id=instance.site_id, province_id=instance.province_id, status=instance.status, n=1
        )
        return
    old = _COUNTED.pop(id(instance), None)
    new = (instance.site_id, instance.province_id, instance.status)
    if old is None or old == new:
        return
    # In a fixed order, as SiteStatusCount.objects.move does.
    for (site_id, province_id, status), n in sorted(((old, -1), (new, 1))):
        SiteStatusCount.objects.add(site_id=site_id, province_id=province_id, status=status, n=n)


def _candidate_gone(sender, instance, **kwargs):
    from .models import SiteStatusCount  # models cannot load before the app registry is ready

    SiteStatusCount.objects.add(
        site_id=instance.site_id, province_id=instance.province_id, status=instance.status, n=-1
    )
