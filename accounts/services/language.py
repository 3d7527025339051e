"""The candidate's language: the one the SMS about their review is written in."""

from django.conf import settings

from ..models import Candidate


def candidate_language_set(*, candidate: Candidate, language: str) -> bool:
    """Remembers the interface language the candidate is using (the switch, or the one
    active when they enter). A language the site does not offer changes nothing. True when
    it changed."""
    if language not in dict(settings.LANGUAGES) or candidate.language == language:
        return False
    candidate.language = language
    Candidate.objects.filter(pk=candidate.pk).update(language=language)
    return True
