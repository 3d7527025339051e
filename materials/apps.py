from django.apps import AppConfig


class MaterialsConfig(AppConfig):
    name = "materials"
    verbose_name = "报名材料"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

        from . import receivers  # noqa: F401  # connects them; it imports models: apps are ready now
        from .models import MaterialCategory

        # Whatever changes a category drops its province's cached categories
        # (materials.selectors.province_categories).
        pre_save.connect(_category_moving, sender=MaterialCategory)
        post_save.connect(_category_changed, sender=MaterialCategory)
        post_delete.connect(_category_changed, sender=MaterialCategory)
        m2m_changed.connect(
            _exam_categories_changed, sender=MaterialCategory.exam_categories.through
        )


def _forget(rows) -> None:
    from .selectors import forget_province_categories

    for exam_year_id, province_id in set(rows):
        forget_province_categories(exam_year_id, province_id)


def _category_moving(sender, instance, raw=False, **kwargs):
    # A category moved to another year or province leaves its old province's list too.
    if instance.pk and not raw:
        _forget(sender.objects.filter(pk=instance.pk).values_list("exam_year_id", "province_id"))


def _category_changed(sender, instance, raw=False, **kwargs):
    _forget([(instance.exam_year_id, instance.province_id)])


def _exam_categories_changed(sender, instance, action, reverse, pk_set, **kwargs):
    from .models import MaterialCategory

    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:  # from the category's side: instance is the category
        _forget([(instance.exam_year_id, instance.province_id)])
        return
    # From the exam category's side: the categories are named in pk_set, or (clear) all of
    # those limited to this exam category.
    categories = MaterialCategory.objects.all()
    if action == "pre_clear":
        categories = categories.filter(exam_categories=instance)
    else:
        categories = categories.filter(pk__in=pk_set or ())
    _forget(categories.values_list("exam_year_id", "province_id"))
