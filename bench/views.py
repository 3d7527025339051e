"""The baseline of bench/upload.py: what any Django upload view costs at least. It stores the
posted photo as the real upload does (same storage, generated name) and inserts one row,
without session, CSRF, checks, audit, queue or page fragment."""

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from materials.models import MaterialImage


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
