import pytest

from accounts.enums import CandidateEventAction
from accounts.models import CandidateEvent
from accounts.selectors import registration_changes_text
from accounts.services import candidate_registration_changes_dismiss
from tests.accounts.helpers import candidate_entry_url
from tests.factories.accounts import CandidateFactory, ExamCategoryFactory, TestSiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate():
    return CandidateFactory(tags=["应届毕业生"], name="张三", id_no="370102199001011234")


def test_later_entry_updates_changed_data(client, candidate):
    new_site = TestSiteFactory(province=candidate.province)
    new_category = ExamCategoryFactory(code="210", name="临床执业助理医师")
    response = client.get(
        candidate_entry_url(
            candidate,
            category="210",
            site=new_site.code,
            tags=["应届毕业生", "在读研究生"],
            name="张叁",
        )
    )
    assert response.url == "/materials/"
    old_site = str(candidate.site)
    candidate.refresh_from_db()
    assert candidate.category == new_category
    assert candidate.site == new_site
    assert candidate.tags == ["应届毕业生", "在读研究生"]
    assert candidate.name == "张叁"
    lines = registration_changes_text(candidate)
    assert "姓名由「张三」变更为「张叁」。" in lines
    assert f"考点由「{old_site}」变更为「{new_site}」。" in lines
    assert "报考类别由「110 临床执业医师」变更为「210 临床执业助理医师」。" in lines
    assert "考生标记由「应届毕业生」变更为「应届毕业生、在读研究生」。" in lines
    # What to do about the materials is said too.
    assert any("材料" in line for line in lines[-2:])
    assert CandidateEvent.objects.filter(
        candidate=candidate, action=CandidateEventAction.REGISTRATION_CHANGED
    ).exists()


def test_later_entry_id_number_change_shown_masked(client, candidate):
    client.get(candidate_entry_url(candidate, id_no="370102199001015678"))
    candidate.refresh_from_db()
    assert candidate.id_no == "370102199001015678"
    lines = registration_changes_text(candidate)
    assert lines == ["证件号码由「370***********1234」变更为「370***********5678」。"]
    assert "370102199001015678" not in str(candidate.registration_changes)


def test_later_entry_without_changes_records_nothing(client, candidate):
    client.get(candidate_entry_url(candidate))
    candidate.refresh_from_db()
    assert candidate.registration_changes == []
    assert registration_changes_text(candidate) == []


def test_later_entry_tag_order_is_not_a_change(client):
    candidate = CandidateFactory(tags=["应届毕业生", "港澳台"])
    client.get(candidate_entry_url(candidate, tags=["港澳台", "应届毕业生"]))
    candidate.refresh_from_db()
    assert candidate.registration_changes == []


def test_later_entries_merge_changes_until_dismissed(client, candidate):
    ExamCategoryFactory(code="210", name="临床执业助理医师")
    ExamCategoryFactory(code="120", name="口腔执业医师")
    client.get(candidate_entry_url(candidate, category="210"))
    candidate.refresh_from_db()
    client.get(candidate_entry_url(candidate, category="120"))
    candidate.refresh_from_db()
    lines = registration_changes_text(candidate)
    assert "报考类别由「110 临床执业医师」变更为「120 口腔执业医师」。" in lines
    # Back to where it started: nothing left to say.
    client.get(candidate_entry_url(candidate, category="110"))
    candidate.refresh_from_db()
    assert registration_changes_text(candidate) == []


def test_registration_changes_dismiss(client, candidate):
    client.get(candidate_entry_url(candidate, name="张叁"))
    candidate.refresh_from_db()
    assert registration_changes_text(candidate)
    response = client.post("/registration-changes/dismiss/")
    assert response.url == "/materials/"
    candidate.refresh_from_db()
    assert candidate.registration_changes == []


def test_registration_changes_dismiss_service(candidate):
    candidate.registration_changes = [{"field": "name", "old": "a", "new": "b"}]
    candidate.save()
    candidate_registration_changes_dismiss(candidate=candidate)
    candidate.refresh_from_db()
    assert candidate.registration_changes == []


def test_registration_changes_shown_on_profile(client, candidate):
    client.get(candidate_entry_url(candidate, name="张叁"))
    body = client.get("/profile/").content.decode()
    assert "报名信息已更新" in body
    assert "姓名由「张三」变更为「张叁」。" in body


def test_later_entry_of_one_candidate_leaves_another_alone(client, candidate):
    other = CandidateFactory(name="李四")
    client.get(candidate_entry_url(candidate, name="张叁"))
    other.refresh_from_db()
    assert other.name == "李四"
    assert other.registration_changes == []
    assert client.session["yishen_candidate_id"] == candidate.pk


def _clinical_and_assistant_categories(candidate):
    from tests.factories.materials import MaterialCategoryFactory

    clinical = candidate.category
    assistant = ExamCategoryFactory(code="210", name="临床执业助理医师")
    MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="身份证明",
        required=True,
        min_count=1,
    )
    MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="执业医师学历证明",
        required=True,
        min_count=1,
        exam_categories=[clinical],
    )
    MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="助理医师学历证明",
        required=True,
        min_count=1,
        exam_categories=[assistant],
    )


def test_later_entry_names_material_categories_that_changed(client, candidate):
    _clinical_and_assistant_categories(candidate)
    client.get(candidate_entry_url(candidate, category="210"))
    candidate.refresh_from_db()
    lines = registration_changes_text(candidate)
    assert "新增必须上传的材料：助理医师学历证明。" in lines
    assert "以下材料不再适用，无需上传：执业医师学历证明。" in lines
    assert not any("身份证明" in line for line in lines)


def test_later_entry_succeeds_with_generic_note_when_material_names_fail(client, candidate):
    """The names come from the materials app through accounts.signals; an answer that fails
    never blocks the entry: the notice then says the materials may have changed."""
    from accounts.signals import required_material_names

    def broken(**kwargs):
        raise RuntimeError("materials cannot answer")

    _clinical_and_assistant_categories(candidate)
    required_material_names.connect(broken, dispatch_uid="test-broken-names")
    try:
        response = client.get(candidate_entry_url(candidate, category="210"))
    finally:
        required_material_names.disconnect(dispatch_uid="test-broken-names")
    assert response.url == "/materials/"
    candidate.refresh_from_db()
    assert candidate.category.code == "210"
    lines = registration_changes_text(candidate)
    assert any("需要上传的材料可能随之变化" in line for line in lines)
    assert not any("助理医师学历证明" in line for line in lines)
