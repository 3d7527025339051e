import pytest

from accounts.auth import SESSION_KEY
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialCategoryFactory


@pytest.fixture
def candidate(db):
    return CandidateFactory()


@pytest.fixture
def category(candidate):
    """A required category of the candidate's province: 2 to 2 photos, like 身份证明."""
    return MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="身份证明",
        code="id-card",
        required=True,
        min_count=2,
        max_count=2,
    )


def login_candidate(client, candidate):
    session = client.session
    session[SESSION_KEY] = candidate.pk
    session.save()
    return client


@pytest.fixture
def candidate_client(client, candidate):
    return login_candidate(client, candidate)
