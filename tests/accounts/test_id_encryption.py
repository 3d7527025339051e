"""ID numbers at rest: AES-GCM under a keyring from the environment, found by a keyed hash,
shown masked; `manage.py rotate_id_keys` re-encrypts under the newest key."""

import base64
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import idcrypt
from accounts.models import Candidate
from tests.accounts.helpers import candidate_entry_url
from tests.factories.accounts import CandidateFactory, operator, province_reviewer

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
NUMBER = "37010219900101123X"
OLD_KEY, NEW_KEY = b"o" * 32, b"n" * 32


def _raw_row(pk: int) -> str:
    """Every column the database holds for the candidate row, as text."""
    return " ".join(str(value) for value in Candidate.objects.filter(pk=pk).values().get().values())


def test_id_number_is_stored_encrypted_and_read_back_whole():
    candidate = CandidateFactory(id_no=NUMBER)

    assert NUMBER not in _raw_row(candidate.pk)
    assert NUMBER[-8:] not in _raw_row(candidate.pk)
    fresh = Candidate.objects.get(pk=candidate.pk)
    assert fresh.id_no == NUMBER
    assert fresh.masked_id_no == "370***********123X"


def test_same_number_encrypts_differently_each_time_but_hashes_the_same():
    one = CandidateFactory(id_no=NUMBER)
    two = CandidateFactory(id_no=NUMBER)

    assert one.id_no_cipher != two.id_no_cipher
    assert one.id_no_hash == two.id_no_hash == idcrypt.id_no_digest(NUMBER)


def test_candidates_found_by_id_number_through_the_keyed_hash():
    wanted = CandidateFactory(id_no=NUMBER)
    CandidateFactory(id_no="370102199001015678")

    assert list(Candidate.objects.with_id_no(NUMBER.lower() + " ")) == [wanted]
    assert list(Candidate.objects.with_id_no("")) == []


def test_hash_depends_on_the_hash_key(settings):
    before = idcrypt.id_no_digest(NUMBER)
    settings.YISHEN_ID_HASH_KEY = b"h" * 32

    assert idcrypt.id_no_digest(NUMBER) != before


def test_tampered_ciphertext_is_refused():
    candidate = CandidateFactory(id_no=NUMBER)
    key_id, body = candidate.id_no_cipher.split(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[-1] ^= 1
    candidate.id_no_cipher = f"{key_id}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"

    with pytest.raises(InvalidTag):
        candidate.id_no  # noqa: B018


def test_ciphertext_of_a_key_no_longer_in_the_keyring_names_the_key(settings):
    settings.YISHEN_ID_KEYRING = {"old": OLD_KEY}
    candidate = CandidateFactory(id_no=NUMBER)
    settings.YISHEN_ID_KEYRING = {"new": NEW_KEY}

    with pytest.raises(idcrypt.IdKeyMissing, match="old"):
        Candidate.objects.get(pk=candidate.pk).id_no  # noqa: B018


def test_rotate_id_keys_reencrypts_under_the_new_key_in_batches_and_is_idempotent(settings):
    settings.YISHEN_ID_KEYRING = {"old": OLD_KEY}
    numbers = [f"3701021990010{n:04d}X" for n in range(5)]
    people = [CandidateFactory(id_no=number) for number in numbers]
    purged = CandidateFactory(id_no="")
    settings.YISHEN_ID_KEYRING = {"new": NEW_KEY, "old": OLD_KEY}

    out = StringIO()
    call_command("rotate_id_keys", "--batch-size", "2", stdout=out)

    assert "重新加密或更新摘要 5 名" in out.getvalue()
    rows = list(Candidate.objects.filter(pk__in=[p.pk for p in people]).order_by("pk"))
    assert [row.id_no_cipher.split(":")[0] for row in rows] == ["new"] * 5
    settings.YISHEN_ID_KEYRING = {"new": NEW_KEY}  # the old key can go now
    assert [row.id_no for row in rows] == numbers
    assert Candidate.objects.get(pk=purged.pk).id_no_cipher == ""
    ciphers = [row.id_no_cipher for row in rows]

    again = StringIO()
    call_command("rotate_id_keys", stdout=again)

    assert "重新加密或更新摘要 0 名" in again.getvalue()
    assert [
        c.id_no_cipher for c in Candidate.objects.filter(pk__in=[p.pk for p in people])
    ] == ciphers


def test_rotate_id_keys_recomputes_hashes_after_a_new_hash_key(settings):
    candidate = CandidateFactory(id_no=NUMBER)
    settings.YISHEN_ID_HASH_KEY = b"h" * 32
    assert not Candidate.objects.with_id_no(NUMBER).exists()

    call_command("rotate_id_keys", stdout=StringIO())

    assert list(Candidate.objects.with_id_no(NUMBER)) == [candidate]


def test_rotate_id_keys_refuses_when_a_stored_key_is_missing(settings):
    settings.YISHEN_ID_KEYRING = {"old": OLD_KEY}
    candidate = CandidateFactory(id_no=NUMBER)
    settings.YISHEN_ID_KEYRING = {"new": NEW_KEY}

    with pytest.raises(CommandError, match="old"):
        call_command("rotate_id_keys", stdout=StringIO())
    assert Candidate.objects.get(pk=candidate.pk).id_no_cipher.startswith("old:")


def test_entry_with_a_new_id_number_is_stored_encrypted_and_found(client):
    candidate = CandidateFactory(id_no=NUMBER)

    client.get(candidate_entry_url(candidate, id_no="370102199001015678"))

    assert list(Candidate.objects.with_id_no("370102199001015678")) == [candidate]
    assert "370102199001015678" not in _raw_row(candidate.pk)


def test_admin_search_by_whole_id_number_finds_only_that_candidate(client):
    wanted = CandidateFactory(id_no=NUMBER, name="要找的考生")
    other = CandidateFactory(id_no="370102199001015678", name="别的考生", site=wanted.site)
    client.force_login(operator(wanted.province))

    body = client.get("/admin/accounts/candidate/", {"q": NUMBER}).content.decode()

    assert wanted.reg_no in body and other.reg_no not in body
    assert wanted.masked_id_no in body


def test_workbench_search_by_whole_id_number_finds_only_that_candidate(client):
    wanted = CandidateFactory(id_no=NUMBER, status="submitted")
    other = CandidateFactory(id_no="370102199001015678", status="submitted", site=wanted.site)
    client.force_login(province_reviewer(wanted.province))

    body = client.get(reverse("review:queue"), {"status": "all", "q": NUMBER}).content.decode()

    assert wanted.reg_no in body and other.reg_no not in body


PROBE = "import django; django.setup(); from django.conf import settings; " + (
    "print(list(settings.YISHEN_ID_KEYRING))"
)


def _production(**env) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "a-test-secret-key-that-is-long-enough-for-the-deploy-checks",
        "YISHEN_ENTRY_SECRET": "a-test-entry-secret-that-is-long-enough-for-production",
        "DJANGO_ALLOWED_HOSTS": "yishen.example.org",
        "YISHEN_REGISTRATION_URL": "https://registration.example.org/",
        **env,
    }
    for name in ("YISHEN_ID_KEYS", "YISHEN_ID_HASH_KEY"):
        if name not in env:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_production_starts_with_a_keyring_and_a_hash_key():
    result = _production(
        YISHEN_ID_KEYS=f"k2:{_b64(NEW_KEY)},k1:{_b64(OLD_KEY)}",
        YISHEN_ID_HASH_KEY=_b64(b"h" * 32),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['k2', 'k1']"


@pytest.mark.parametrize(
    "env",
    [
        {"YISHEN_ID_HASH_KEY": _b64(b"h" * 32)},  # no keyring
        {"YISHEN_ID_KEYS": f"k1:{_b64(b'short')}", "YISHEN_ID_HASH_KEY": _b64(b"h" * 32)},
        {"YISHEN_ID_KEYS": _b64(NEW_KEY), "YISHEN_ID_HASH_KEY": _b64(b"h" * 32)},  # no key id
        {"YISHEN_ID_KEYS": f"k1:{_b64(NEW_KEY)}"},  # no hash key
        {"YISHEN_ID_KEYS": f"k1:{_b64(NEW_KEY)}", "YISHEN_ID_HASH_KEY": _b64(b"h" * 8)},
    ],
    ids=["no-keyring", "short-key", "no-key-id", "no-hash-key", "short-hash-key"],
)
def test_production_refuses_to_start_without_good_id_keys(env):
    result = _production(**env)
    assert result.returncode != 0
    assert "YISHEN_ID_" in result.stderr
