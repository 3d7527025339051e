"""提交审核 and 重新提交 ask first: the button leads to a confirmation (a page without
JavaScript, a dialog with it — both from the same template) that lists what will be locked,
or what still stops the step; only its 确认提交 posts, and nothing changes before."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.enums import CandidateStatus, ReviewLevel, SubmitMode
from materials.enums import ImageStatus
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory

pytestmark = pytest.mark.django_db

PAGE = "/materials/"
SUBMIT = "/materials/submit/"
RESUBMIT = "/materials/resubmit/"


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def diploma(candidate):
    return MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="学历证明",
        required=True,
        min_count=1,
        max_count=4,
        order=2,
    )


def test_page_button_leads_to_the_confirmation_not_straight_to_submit(
    candidate_client, candidate, category
):
    MaterialImageFactory.create_batch(2, candidate=candidate, category=category)
    page = html(candidate_client.get(PAGE))
    assert f'<form method="get" action="{SUBMIT}"' in page
    assert f'<form method="post" action="{SUBMIT}" class="submit-form"' not in page
    # The dialog's list is on the page for the script, in a template (not shown).
    template = page.split('<template id="submit-summary">')[1].split("</template>")[0]
    assert "确认提交审核？" in template and "身份证明" in template and "2 张图片" in template
    assert "确认提交" in template and "data-close" in template


def test_confirmation_page_lists_what_will_lock_and_changes_nothing(
    candidate_client, candidate, category, diploma
):
    MaterialImageFactory.create_batch(2, candidate=candidate, category=category)
    MaterialImageFactory(candidate=candidate, category=diploma)
    response = candidate_client.get(SUBMIT)
    assert response.status_code == 200
    page = html(response)
    assert "确认提交审核？" in page
    assert "提交后，以下材料将全部锁定，无法自行修改" in page
    assert "<strong>身份证明</strong>：2 张图片" in page
    assert "<strong>学历证明</strong>：1 张图片" in page
    assert f'<form method="post" action="{SUBMIT}"' in page and "确认提交</button>" in page
    assert f'href="{PAGE}"' in page and "取消" in page
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DRAFT
    # The final button posts: submitted and locked.
    assert candidate_client.post(SUBMIT).status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED


def test_confirmation_names_missing_required_and_offers_no_submit(
    candidate_client, candidate, category, diploma
):
    MaterialImageFactory(candidate=candidate, category=category)
    page = html(candidate_client.get(SUBMIT))
    assert "以下必传材料尚未上传齐全，补齐后才能提交" in page
    missing = page.split("summary-blocking")[1].split("</div>")[0]
    assert "身份证明" in missing and "学历证明" in missing
    assert "确认提交</button>" not in page
    assert "返回修改" in page


def test_confirmation_with_nothing_uploaded_says_upload_first(candidate_client, candidate):
    MaterialCategoryFactory(province=candidate.province, exam_year=candidate.exam_year)
    page = html(candidate_client.get(SUBMIT))
    assert "请先上传材料图片再提交。" in page
    assert "确认提交</button>" not in page


def test_confirmation_after_submitting_goes_back_to_the_page(candidate_client, candidate):
    candidate.status = CandidateStatus.SUBMITTED
    candidate.submitted_at = timezone.now()
    candidate.save()
    response = candidate_client.get(SUBMIT)
    assert response.status_code == 302 and response.url == f"{PAGE}#status-panel"
    assert candidate_client.get(RESUBMIT).url == f"{PAGE}#status-panel"


def test_auto_save_province_has_no_submit_confirmation(candidate_client, candidate, category):
    candidate.province.submit_mode = SubmitMode.AUTO_SAVE
    candidate.province.save()
    assert candidate_client.get(SUBMIT).status_code == 302
    assert "submit-summary" not in html(candidate_client.get(PAGE))


def _returned(candidate, category, diploma):
    """身份证明 returned (one photo 退回, one approved); 学历证明 approved and locked."""
    returned = MaterialImageFactory(
        candidate=candidate, category=category, status=ImageStatus.RETURNED, return_reason="模糊"
    )
    MaterialImageFactory(candidate=candidate, category=category, status=ImageStatus.APPROVED)
    MaterialImageFactory(candidate=candidate, category=diploma, status=ImageStatus.APPROVED)
    candidate.status = CandidateStatus.RETURNED
    candidate.returned_by = ReviewLevel.SITE
    candidate.returned_categories = [category.pk]
    candidate.reply_deadline = timezone.now() + timedelta(hours=24)
    candidate.submitted_at = timezone.now() - timedelta(days=1)
    candidate.save()
    return returned


def test_resubmit_confirmation_refuses_while_a_returned_photo_is_there(
    candidate_client, candidate, category, diploma
):
    _returned(candidate, category, diploma)
    page = html(candidate_client.get(RESUBMIT))
    assert "确认重新提交？" in page
    assert "仍有标为「退回」的图片" in page and "身份证明" in page
    assert "确认重新提交</button>" not in page


def test_resubmit_confirmation_lists_the_returned_category_to_lock_again(
    candidate_client, candidate, category, diploma
):
    returned = _returned(candidate, category, diploma)
    returned.removed_at = timezone.now()
    returned.save()
    MaterialImageFactory(candidate=candidate, category=category, replaces=returned)
    page = html(candidate_client.get(RESUBMIT))
    assert "重新提交后，以下材料将再次锁定" in page
    locking = page.split('class="lock-list"')[1].split("</ul>")[0]
    assert "<strong>身份证明</strong>：2 张图片" in locking
    # 学历证明 was never unlocked: nothing to lock again.
    assert "学历证明" not in locking
    assert f'<form method="post" action="{RESUBMIT}"' in page and "确认重新提交</button>" in page
    assert f'<form method="get" action="{RESUBMIT}"' in html(candidate_client.get(PAGE))
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.RETURNED
    candidate_client.post(RESUBMIT)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED


def test_confirmation_page_in_english(candidate_client, candidate, category, settings):
    MaterialImageFactory.create_batch(2, candidate=candidate, category=category)
    candidate_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = html(candidate_client.get(SUBMIT))
    assert "Submit for review now?" in page
    assert "all of these materials are locked" in page
    assert "2 photos" in page and "Confirm and submit</button>" in page
