"""The baselines of bench/upload.py, mounted by bench/urls.py only.

- bare_upload: what any Django upload view costs at least. It stores the posted photo as the
  real upload does (same storage, generated name) and inserts one row, without session, CSRF,
  checks, audit, queue or page fragment.
- floor_upload: the floor issue 8 names for the upload ("a decode and one transaction"): the
  bare view plus the full content check the upload's validation runs (the project's own
  functions, so the same header read, checksum and decode) and one transaction holding the
  photo row and its audit row (written as the upload service writes it: the image_uploaded
  signal, whose receiver chains the row into the audit trail). Nothing else: no session,
  CSRF, candidate read, lock rule, count or duplicate check, queue or page fragment."""

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.enums import CandidateStatus
from accounts.http import client_ip
from accounts.models import Candidate
from materials.enums import DEFAULT_FORMATS, DEFAULT_MAX_BYTES
from materials.models import MaterialImage
from materials.signals import image_uploaded
from materials.validation import check_image_bytes


@csrf_exempt
@require_POST
def bare_upload(request):
    photo = request.FILES["photos"]
    data = photo.read()
    name = default_storage.save(f"originals/{uuid.uuid4().hex}", ContentFile(data))
    MaterialImage.objects.create(
        candidate_id=int(request.POST["candidate"]),
        category_id=int(request.POST["category"]),
        original=name,
        image_format="jpeg",
        size_bytes=len(data),
    )
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@require_POST
def floor_upload(request):
    photo = request.FILES["photos"]
    checked = check_image_bytes(
        data=photo.read(), name=photo.name, formats=DEFAULT_FORMATS, max_bytes=DEFAULT_MAX_BYTES
    )
    # Not read: the audit row needs the candidate's id and status only, and the audit chain
    # locks the candidate's row by its id anyway (review.models._chain_append).
    candidate = Candidate(pk=int(request.POST["candidate"]), status=CandidateStatus.DRAFT)
    category_id = int(request.POST["category"])
    with transaction.atomic():
        name = default_storage.save(f"originals/{uuid.uuid4().hex}", ContentFile(checked.data))
        image = MaterialImage.objects.create(
            candidate=candidate,
            category_id=category_id,
            original=name,
            image_format=checked.format,
            size_bytes=checked.size_bytes,
            width=checked.width,
            height=checked.height,
            sha256=checked.sha256,
        )
        image_uploaded.send(
            sender=MaterialImage,
            candidate=candidate,
            image=image,
            ip=client_ip(request),
            data={"category_id": category_id, "size": checked.size_bytes, "format": checked.format},
        )
    return HttpResponse("ok", content_type="text/plain")
