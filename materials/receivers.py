"""What the materials app answers to the signals of the apps below it (accounts), which may
not import materials. Connected by MaterialsConfig.ready."""

from django.dispatch import receiver

from accounts.models import Candidate
from accounts.signals import required_material_names

from .selectors import categories_for_candidate


@receiver(required_material_names, sender=Candidate)
def required_material_names_of(sender, *, candidate: Candidate, **kwargs) -> list[str]:
    return [c.name for c in categories_for_candidate(candidate) if c.required]
