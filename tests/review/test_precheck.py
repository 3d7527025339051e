"""The machine pre-check through Django: what it stores, the hints, the reuse lookup, the
workbench, the queue filter, the candidate's advice, marking a hint wrong, the command, and
its refusal to decide anything. The ID photos are generated cards read by the real OCR."""

import io
import json
import re
import socket
from functools import lru_cache
from importlib import metadata, resources

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image, ImageFilter

from accounts.enums import CandidateStatus
from materials.enums import HintKind, ImageStatus, PrecheckRead
from materials.models import MaterialImage, PhotoCheck, PrecheckHint
from materials.precheck import dhash, ocr
from materials.precheck.selectors import similar_photos
from materials.precheck.services import hint_mark_wrong, photo_precheck
from review.models import ReviewEvent
from tests import idcards
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialCategoryFactory
from tests.factories.review import candidate_with_photos
from tests.materials.conftest import login_candidate
from tests.photos import upload

pytestmark = pytest.mark.django_db

NAME = "王秀英"
ID_NO = "370102198507150023"
OTHER_ID_NO = "370102198507150031"


@lru_cache
def card(name: str = NAME, id_no: str = ID_NO) -> bytes:
    return idcards.photo(name=name, id_no=id_no, seed=3)


@lru_cache
def blurred_photo() -> bytes:
    im = Image.open(io.BytesIO(card())).filter(ImageFilter.GaussianBlur(6))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _candidate_with_card(data: bytes, *, site=None, read=PrecheckRead.ID_CARD, **kwargs):
    kwargs.setdefault("name", NAME)
    kwargs.setdefault("id_no", ID_NO)
    candidate, (category,), (image,) = candidate_with_photos(site=site, photos=1, **kwargs)
    category.precheck = read
    category.save(update_fields=["precheck"])
    image.original.save("x.jpg", ContentFile(data), save=True)
    return candidate, image


# --- what the check stores -----------------------------------------------------------------


def test_matching_card_is_stored_masked_with_no_hint(org):
    candidate, image = _candidate_with_card(card(), site=org.site)
    assert photo_precheck(image_id=image.pk) == "checked"
    check = PhotoCheck.objects.get(image=image)
    assert (check.id_no_match, check.id_no_valid, check.name_match) == (True, True, True)
    assert check.id_no_masked == candidate.masked_id_no == "370" + "*" * 11 + "0023"
    assert check.name_read == NAME
    stored = json.dumps(check.lines, ensure_ascii=False)
    assert ID_NO not in stored and candidate.masked_id_no in stored
    assert check.seconds > 0
    assert not PrecheckHint.objects.filter(image=image).exists()


def test_card_with_another_number_is_a_mismatch_hint(org):
    candidate, image = _candidate_with_card(card(), site=org.site, id_no=OTHER_ID_NO)
    photo_precheck(image_id=image.pk)
    check = PhotoCheck.objects.get(image=image)
    assert check.id_no_match is False
    assert list(PrecheckHint.objects.filter(image=image).values_list("kind", flat=True)) == [
        HintKind.ID_MISMATCH
    ]


def test_card_with_another_name_is_a_name_hint(org):
    candidate, image = _candidate_with_card(card(), site=org.site, name="李建国")
    photo_precheck(image_id=image.pk)
    assert PhotoCheck.objects.get(image=image).name_match is False
    assert PrecheckHint.objects.filter(image=image, kind=HintKind.NAME_MISMATCH).exists()


def test_category_that_reads_nothing_gets_quality_and_hash_only(org):
    candidate, image = _candidate_with_card(card(), site=org.site, read=PrecheckRead.NONE)
    photo_precheck(image_id=image.pk)
    check = PhotoCheck.objects.get(image=image)
    assert check.lines == [] and check.id_no_match is None and check.dhash != 0


def test_a_second_run_keeps_a_hint_marked_wrong(org):
    candidate, image = _candidate_with_card(card(), site=org.site, id_no=OTHER_ID_NO)
    photo_precheck(image_id=image.pk)
    hint = PrecheckHint.objects.get(image=image)
    hint_mark_wrong(hint_id=hint.pk, candidate=candidate, by=org.staff["site"])
    photo_precheck(image_id=image.pk)
    hint.refresh_from_db()
    assert hint.wrong_at is not None and hint.wrong_by == org.staff["site"]


# --- the machine never decides -------------------------------------------------------------


def test_precheck_changes_no_state_and_writes_no_decision(org):
    candidate, image = _candidate_with_card(blurred_photo(), site=org.site, id_no=OTHER_ID_NO)
    events = ReviewEvent.objects.count()
    photo_precheck(image_id=image.pk)
    assert PrecheckHint.objects.filter(image=image).exists()
    image.refresh_from_db()
    candidate.refresh_from_db()
    assert (image.status, image.decided_at, image.decided_by) == (ImageStatus.PENDING, None, None)
    assert image.return_reason == ""
    assert candidate.status == CandidateStatus.SUBMITTED
    assert ReviewEvent.objects.count() == events


def test_marking_a_hint_wrong_changes_no_state(org):
    candidate, image = _candidate_with_card(card(), site=org.site, id_no=OTHER_ID_NO)
    photo_precheck(image_id=image.pk)
    hint = PrecheckHint.objects.get(image=image)
    hint_mark_wrong(hint_id=hint.pk, candidate=candidate, by=org.staff["site"])
    image.refresh_from_db()
    candidate.refresh_from_db()
    assert image.status == ImageStatus.PENDING and candidate.status == CandidateStatus.SUBMITTED


# --- reused photos -------------------------------------------------------------------------


def test_lookup_finds_within_the_limit_and_not_beyond(org):
    candidate, image = _candidate_with_card(card(), site=org.site, read=PrecheckRead.NONE)
    photo_precheck(image_id=image.pk)
    value = dhash.to_unsigned(PhotoCheck.objects.get(image=image).dhash)
    year = candidate.exam_year_id
    near = value ^ 0b1000_0000_0000_0001 ^ (1 << 40)  # 3 bits
    far = near ^ (1 << 63)  # 4 bits
    assert [s.image_id for s in similar_photos(exam_year_id=year, value=near)] == [image.pk]
    assert similar_photos(exam_year_id=year, value=far) == []
    assert similar_photos(exam_year_id=year, value=value, exclude_candidate_id=candidate.pk) == []
    assert similar_photos(exam_year_id=year + 1000, value=value) == []


def test_photo_uploaded_by_two_candidates_is_flagged_on_both(org):
    first, image_a = _candidate_with_card(card(), site=org.site, read=PrecheckRead.NONE)
    second, image_b = _candidate_with_card(
        card(), site=org.site, read=PrecheckRead.NONE, exam_year=first.exam_year
    )
    photo_precheck(image_id=image_a.pk)
    assert not PrecheckHint.objects.exists()
    photo_precheck(image_id=image_b.pk)
    a = PrecheckHint.objects.get(image=image_a, kind=HintKind.REUSED)
    b = PrecheckHint.objects.get(image=image_b, kind=HintKind.REUSED)
    assert a.detail == {"images": [image_b.pk]} and b.detail == {"images": [image_a.pk]}
    assert a.candidate == first and b.candidate == second


def test_reuse_links_a_visible_candidate_and_describes_another_without_personal_data(client, org):
    mine, image_a = _candidate_with_card(card(), site=org.site, read=PrecheckRead.NONE)
    far, image_b = _candidate_with_card(
        card(),
        site=org.far_site,
        read=PrecheckRead.NONE,
        exam_year=mine.exam_year,
        name="赵敏",
        id_no=OTHER_ID_NO,
    )
    photo_precheck(image_id=image_a.pk)
    photo_precheck(image_id=image_b.pk)
    client.force_login(org.staff["site"])
    page = client.get(reverse("review:candidate", kwargs={"pk": mine.pk})).content.decode()
    assert "与另一考生上传的照片相同或几乎相同" in page
    assert "其他考区的一位考生" in page
    assert far.reg_no not in page and "赵敏" not in page
    assert reverse("review:candidate", kwargs={"pk": far.pk}) not in page
    client.force_login(org.staff["national"])
    page = client.get(reverse("review:candidate", kwargs={"pk": mine.pk})).content.decode()
    assert reverse("review:candidate", kwargs={"pk": far.pk}) in page


# --- the workbench -------------------------------------------------------------------------


def test_workbench_shows_the_mismatch_with_both_numbers_masked_and_the_filter_finds_it(client, org):
    flagged, image = _candidate_with_card(card(), site=org.site, id_no=OTHER_ID_NO)
    clean, clean_image = _candidate_with_card(card(), site=org.site)
    photo_precheck(image_id=image.pk)
    photo_precheck(image_id=clean_image.pk)
    PrecheckHint.objects.filter(kind=HintKind.REUSED).delete()  # the same card twice
    client.force_login(org.staff["site"])
    page = client.get(reverse("review:candidate", kwargs={"pk": flagged.pk})).content.decode()
    stars = "*" * 11
    assert f"号码不一致：照片 370{stars}0023，报名 370{stars}0031" in page
    assert ID_NO not in page and OTHER_ID_NO not in page
    assert "姓名一致" in page
    page = client.get(reverse("review:candidate", kwargs={"pk": clean.pk})).content.decode()
    assert "号码一致" in page and "号码不一致" not in page
    queue = client.get(reverse("review:queue"), {"status": "submitted", "precheck": "on"})
    rows = queue.content.decode()
    assert flagged.reg_no in rows and clean.reg_no not in rows
    queue = client.get(reverse("review:queue"), {"status": "submitted"})
    assert flagged.reg_no in queue.content.decode() and clean.reg_no in queue.content.decode()


def test_reviewer_sees_the_quality_hint_beside_the_photo_and_none_before_the_check(client, org):
    candidate, image = _candidate_with_card(blurred_photo(), site=org.site, read=PrecheckRead.NONE)
    client.force_login(org.staff["site"])
    url = reverse("review:candidate", kwargs={"pk": candidate.pk})
    page = client.get(url).content.decode()
    assert "机器预审提示" not in page and 'data-hint="blurred"' not in page
    photo_precheck(image_id=image.pk)
    page = client.get(url).content.decode()
    hint = page[page.index('data-hint="blurred"') :]
    hint = hint[: hint.index("</li>")]
    assert "照片可能模糊" in hint and "提示有误" in hint


def test_reviewer_marks_a_hint_wrong_and_the_dashboard_counts_it(client, org):
    candidate, image = _candidate_with_card(card(), site=org.site, id_no=OTHER_ID_NO)
    photo_precheck(image_id=image.pk)
    hint = PrecheckHint.objects.get(image=image)
    client.force_login(org.staff["site"])
    url = reverse("review:hint_wrong", kwargs={"pk": candidate.pk, "hint_pk": hint.pk})
    response = client.post(url)
    assert response.status_code == 302
    hint.refresh_from_db()
    assert hint.wrong_by == org.staff["site"]
    queue = client.get(reverse("review:queue"), {"status": "submitted", "precheck": "on"})
    assert candidate.reg_no not in queue.content.decode()
    dashboard = client.get(reverse("review:dashboard")).content.decode()
    row = dashboard[dashboard.index('data-hint="id_mismatch"') :]
    row = row[: row.index("</tr>")]
    assert "<td>1</td><td>1</td><td>0%</td>" in row


def test_reviewer_of_another_site_cannot_mark_a_hint(client, org):
    candidate, image = _candidate_with_card(card(), site=org.site, id_no=OTHER_ID_NO)
    photo_precheck(image_id=image.pk)
    hint = PrecheckHint.objects.get(image=image)
    client.force_login(org.staff["other_site"])
    url = reverse("review:hint_wrong", kwargs={"pk": candidate.pk, "hint_pk": hint.pk})
    assert client.post(url).status_code == 404
    hint.refresh_from_db()
    assert hint.wrong_at is None


def test_a_hint_of_another_candidate_is_refused(client, org):
    candidate, image = _candidate_with_card(card(), site=org.site, id_no=OTHER_ID_NO)
    other, _ = _candidate_with_card(card(), site=org.site)
    photo_precheck(image_id=image.pk)
    hint = PrecheckHint.objects.get(image=image, kind=HintKind.ID_MISMATCH)
    client.force_login(org.staff["site"])
    url = reverse("review:hint_wrong", kwargs={"pk": other.pk, "hint_pk": hint.pk})
    response = client.post(url, follow=True)
    assert "该提示不存在" in response.content.decode()
    hint.refresh_from_db()
    assert hint.wrong_at is None


# --- the candidate -------------------------------------------------------------------------


def test_candidate_sees_the_blur_advice_right_after_upload(
    client, db, django_capture_on_commit_callbacks
):
    candidate = CandidateFactory(name=NAME, id_no=ID_NO)
    category = MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="学历证明",
        max_count=2,
    )
    login_candidate(client, candidate)
    # The pipeline and then the pre-check run after the upload's commit (in-process here).
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/materials/category/{category.pk}/upload/", {"photos": upload(blurred_photo())}
        )
    assert response.status_code == 302
    image = MaterialImage.objects.get(candidate=candidate)
    assert image.status == ImageStatus.PENDING
    assert PhotoCheck.objects.get(image=image).quality == ["blurred"]
    page = client.get("/materials/").content.decode()
    assert "照片可能模糊，建议重新拍摄。" in page
    # Advice, never a refusal: the photo is there and counts.
    assert "1 / 2" in page


# --- the command and the install -----------------------------------------------------------


def test_command_prints_one_json_object_per_file(tmp_path):
    path = tmp_path / "card.jpg"
    path.write_bytes(card())
    out = io.StringIO()
    call_command("precheck", str(path), "--name", NAME, "--id-no", OTHER_ID_NO, stdout=out)
    result = json.loads(out.getvalue())
    assert result["file"] == str(path)
    assert result["id_no"] == ID_NO and result["id_no_valid"] is True
    assert result["name"] == NAME
    assert result["matches"] == {"id_no": False, "name": True}
    assert result["quality"] == []
    assert set(result) == {"file", "id_no", "id_no_valid", "name", "matches", "quality", "seconds"}


def test_ocr_models_come_from_the_installed_wheel_and_nothing_is_downloaded(monkeypatch):
    models = resources.files("rapidocr_onnxruntime") / "models"
    names = sorted(p.name for p in models.iterdir() if p.name.endswith(".onnx"))
    assert names == [
        "ch_PP-OCRv4_det_infer.onnx",
        "ch_PP-OCRv4_rec_infer.onnx",
        "ch_ppocr_mobile_v2.0_cls_infer.onnx",
    ]
    assert "site-packages" in str(models)

    def refuse(*args, **kwargs):
        raise AssertionError("the pre-check tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    ocr.engine.cache_clear()
    try:
        reading = ocr.read(Image.open(io.BytesIO(card())), wanted="id_card")
    finally:
        ocr.engine.cache_clear()
    assert ID_NO in [line.text for line in reading.lines]


def test_only_the_headless_opencv_is_installed():
    """opencv-python needs the system's libGL; the install keeps only the headless build."""
    assert metadata.version("opencv-python-headless")
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.version("opencv-python")


@pytest.mark.celery_worker
def test_worker_prechecks_an_uploaded_id_photo_on_the_precheck_queue(real_celery_worker):
    from materials.services import image_upload
    from tests.conftest import wait_for

    candidate = CandidateFactory(name=NAME, id_no=OTHER_ID_NO)
    category = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, precheck=PrecheckRead.ID_CARD
    )
    image = image_upload(candidate=candidate, category=category, file=upload(card())).image
    assert wait_for(lambda: PhotoCheck.objects.filter(image=image).exists(), timeout=120)
    assert PrecheckHint.objects.filter(image=image, kind=HintKind.ID_MISMATCH).exists()
    image.refresh_from_db()
    assert image.status == ImageStatus.PENDING


def test_reuse_by_many_candidates_is_one_line_with_a_count_and_a_few_links(client, org):
    mine, image = _candidate_with_card(card(), site=org.site, read=PrecheckRead.NONE)
    others = [
        _candidate_with_card(
            card(), site=org.site, read=PrecheckRead.NONE, exam_year=mine.exam_year
        )[0]
        for _ in range(7)
    ]
    far, _far_image = _candidate_with_card(
        card(), site=org.far_site, read=PrecheckRead.NONE, exam_year=mine.exam_year
    )
    for photo in MaterialImage.objects.order_by("pk"):
        photo_precheck(image_id=photo.pk)
    client.force_login(org.staff["site"])
    page = client.get(reverse("review:candidate", kwargs={"pk": mine.pk})).content.decode()
    lines = re.findall(r'<li class="precheck-warn" data-precheck="reused">(.*?)</li>', page)
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith("与另外 8 位考生上传的照片相同或几乎相同：")
    linked = re.findall(r'<a href="/review/c/(\d+)/">(\d+)</a>', line)
    assert [(int(pk), reg_no) for pk, reg_no in linked] == [(c.pk, c.reg_no) for c in others[:5]]
    assert line.endswith("等（另 2 位）；其中 1 位不在您的审核范围")
    assert far.reg_no not in page
