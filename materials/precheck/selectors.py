"""Reads of the machine pre-check: the reuse lookup, the hints beside each photo in the
workbench, the queue filter, the precision per hint, and the candidate's quality advice."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _

from accounts.models import Candidate
from accounts.selectors import staff_scope_of

from ..enums import QUALITY_ADVICE, HintKind, PrecheckRead, ProcessingState
from ..models import MaterialImage, PhotoCheck, PrecheckHint
from . import dhash


@dataclass(frozen=True)
class Similar:
    image_id: int
    candidate_id: int
    distance: int


def similar_photos(
    *, exam_year_id: int, value: int, exclude_candidate_id: int | None = None
) -> list[Similar]:
    """Other candidates' photos of the same exam year whose hash is within
    dhash.HAMMING_LIMIT bits of `value` (unsigned). Never a scan: the rows sharing one of
    the four 16-bit parts come from the four indexes (PostgreSQL combines them in a bitmap
    OR), and the exact distance is checked on those few rows."""
    p = dhash.parts(value)
    rows = (
        PhotoCheck.objects.filter(exam_year_id=exam_year_id)
        .filter(Q(dhash_0=p[0]) | Q(dhash_1=p[1]) | Q(dhash_2=p[2]) | Q(dhash_3=p[3]))
        .values_list("image_id", "candidate_id", "dhash")
    )
    if exclude_candidate_id is not None:
        rows = rows.exclude(candidate_id=exclude_candidate_id)
    found = []
    for image_id, candidate_id, stored in rows:
        distance = dhash.distance(value, dhash.to_unsigned(stored))
        if distance <= dhash.HAMMING_LIMIT:
            found.append(Similar(image_id, candidate_id, distance))
    return found


def candidates_with_hints() -> Exists:
    """For the queue filter 机器预审提示: the candidate has a hint on a current photo that no
    reviewer marked wrong."""
    return Exists(
        PrecheckHint.objects.filter(
            candidate=OuterRef("pk"), wrong_at__isnull=True, image__removed_at__isnull=True
        )
    )


@dataclass
class ReusedWith:
    candidate_id: int
    visible: bool  # the reviewer may open that candidate: linked
    label: str  # without personal data when not visible
    reg_no: str = ""  # the link's text, when visible


# The other candidates named by link beside a reused photo; the rest are counted.
REUSED_LINKS = 5


@dataclass
class HintView:
    pk: int
    kind: str
    label: str
    wrong: bool


@dataclass
class PhotoHints:
    """What the workbench shows beside one photo."""

    read: str = PrecheckRead.NONE
    id_state: str = ""  # "match", "mismatch", "unreadable" (ID cards) or ""
    id_read: str = ""  # masked
    id_registered: str = ""  # masked the same way
    name_state: str = ""  # "match", "mismatch", "missing" or ""
    name_read: str = ""
    # Each other candidate once (a demo photo was found in eleven), in the order found.
    reused: list[ReusedWith] = field(default_factory=list)
    hints: list[HintView] = field(default_factory=list)

    @property
    def reused_links(self) -> list[ReusedWith]:
        """The other candidates the reviewer may open, the first few: one short list."""
        return [other for other in self.reused if other.visible][:REUSED_LINKS]

    @property
    def reused_more(self) -> int:
        """Those the reviewer may open beyond the list (said as 等)."""
        return sum(1 for other in self.reused if other.visible) - len(self.reused_links)

    @property
    def reused_hidden(self) -> int:
        """Those outside the reviewer's scope: counted, never named."""
        return sum(1 for other in self.reused if not other.visible)


def photo_hints(
    *, images: list[MaterialImage], candidate: Candidate, user
) -> dict[int, PhotoHints]:
    """The pre-check's findings for these photos of one candidate, by photo id. Photos not
    checked (yet) are absent. Three queries, whatever the number of photos."""
    ids = [image.pk for image in images]
    if not ids:
        return {}
    labels = dict(HintKind.choices)
    out: dict[int, PhotoHints] = {}
    for check in PhotoCheck.objects.filter(image_id__in=ids):
        view = PhotoHints(read=check.read)
        if check.read == PrecheckRead.ID_CARD:
            if check.id_no_match is True:
                view.id_state = "match"
            elif check.id_no_match is False:
                view.id_state = "mismatch"
            else:
                view.id_state = "unreadable"
            view.id_read = check.id_no_masked
            view.id_registered = candidate.masked_id_no
        if check.name_match is True:
            view.name_state = "match"
        elif check.name_match is False:
            view.name_state = "mismatch" if check.read == PrecheckRead.ID_CARD else "missing"
        view.name_read = check.name_read
        out[check.image_id] = view
    reused_ids: set[int] = set()
    hints = list(PrecheckHint.objects.filter(image_id__in=ids).order_by("kind", "pk"))
    for hint in hints:
        if hint.kind == HintKind.REUSED:
            reused_ids.update(hint.detail.get("images", []))
    others = {
        pk: (candidate_id, site_id, province_id, reg_no)
        for pk, candidate_id, site_id, province_id, reg_no in MaterialImage.objects.filter(
            pk__in=reused_ids
        ).values_list(
            "pk",
            "candidate_id",
            "candidate__site_id",
            "candidate__province_id",
            "candidate__reg_no",
        )
    }
    visible = set(
        Candidate.objects.filter(
            staff_scope_of(user).q(), pk__in={v[0] for v in others.values()}
        ).values_list("pk", flat=True)
    )
    for hint in hints:
        view = out.setdefault(hint.image_id, PhotoHints())
        view.hints.append(
            HintView(
                hint.pk, hint.kind, str(labels.get(hint.kind, hint.kind)), hint.wrong_at is not None
            )
        )
        if hint.kind != HintKind.REUSED:
            continue
        for other_id in hint.detail.get("images", []):
            if other_id not in others:
                continue  # deleted since
            other_candidate, site_id, province_id, reg_no = others[other_id]
            if any(seen.candidate_id == other_candidate for seen in view.reused):
                continue  # another photo of the same candidate
            shown = other_candidate in visible
            view.reused.append(
                ReusedWith(
                    candidate_id=other_candidate,
                    visible=shown,
                    label=_describe(site_id, province_id, candidate),
                    reg_no=reg_no if shown else "",
                )
            )
    return out


def _describe(site_id: int, province_id: int, candidate: Candidate) -> str:
    if site_id == candidate.site_id:
        return _("本考点的另一位考生")
    if province_id == candidate.province_id:
        return _("本考区其他考点的一位考生")
    return _("其他考区的一位考生")


@dataclass(frozen=True)
class Precision:
    kind: str
    label: str
    total: int
    wrong: int

    @property
    def precision(self) -> float | None:
        return (self.total - self.wrong) / self.total if self.total else None


def hint_precision(*, user) -> list[Precision]:
    """Per kind of hint, among the candidates the reviewer may see: how many were given,
    how many reviewers marked wrong, and so the precision (right / given)."""
    rows = (
        PrecheckHint.objects.filter(staff_scope_of(user).q(prefix="candidate__"))
        .values("kind")
        .annotate(total=Count("pk"), wrong=Count("pk", filter=Q(wrong_at__isnull=False)))
    )
    counts = {row["kind"]: (row["total"], row["wrong"]) for row in rows}
    return [
        Precision(kind, str(label), *counts.get(kind, (0, 0))) for kind, label in HintKind.choices
    ]


def quality_advice(images: list[MaterialImage]) -> dict[int, list[str]]:
    """For the candidate's material page: the quality advice of each photo, by photo id
    (one query, none when no photo is processed yet). Advice only: it never blocks anything."""
    advice: dict[int, list[str]] = {}
    # The pre-check runs on processed photos only (materials.tasks): the others have no hints.
    processed = [image.pk for image in images if image.processing == ProcessingState.READY]
    if not processed:
        return advice
    for image_id, kind in (
        PrecheckHint.objects.filter(image_id__in=processed, kind__in=list(QUALITY_ADVICE))
        .values_list("image_id", "kind")
        .order_by("image_id", "kind")
    ):
        advice.setdefault(image_id, []).append(str(QUALITY_ADVICE[HintKind(kind)]))
    return advice
