from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "审核"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import ReturnReason

        # Whatever changes a standard reason drops the cached lists (selectors.return_reasons).
        post_save.connect(_return_reason_changed, sender=ReturnReason)
        post_delete.connect(_return_reason_changed, sender=ReturnReason)


def _return_reason_changed(sender, **kwargs):
    from .selectors import forget_return_reasons

    forget_return_reasons()
