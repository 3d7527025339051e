"""The candidates' side of an exam year's purge (review/services/purge.py runs it)."""

from ..models import Candidate, ExamYear, HandoffToken, PhoneVerification

# What a purge clears on every candidate of the year: who they are and how to reach them.
# What stays is what the counts and the audit trail need: year, registration number (the
# key the audit rows and the registration system use), province, site, category, status,
# dates.
PERSONAL_FIELDS = {
    "name": "",
    "id_no_cipher": "",
    "id_no_hash": "",
    "phone": "",
    "roster_mobile": "",
    "address": "",
    "tags": [],
    "registration_changes": [],
}


def candidates_personal_data_clear(*, exam_year: ExamYear) -> dict[str, int]:
    """Clears the personal fields of the year's candidates and deletes their phone codes and
    their phone hand-off links (which keep the address of the phone that used them).
    Call inside the purge's transaction."""
    cleared = Candidate.objects.filter(exam_year=exam_year).update(**PERSONAL_FIELDS)
    codes, _details = PhoneVerification.objects.filter(candidate__exam_year=exam_year).delete()
    links, _details = HandoffToken.objects.filter(candidate__exam_year=exam_year).delete()
    return {"candidates": cleared, "phone_verifications": codes, "handoff_tokens": links}
