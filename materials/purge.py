"""The photo side of an exam year's purge (review/services/purge.py runs it): every stored
file of the year's photos, found in the year's folders (materials.models.IMAGE_FOLDERS) and
by the rows, then deleted; the rows keep their counts but no file name, checksum or
machine reading. Works on any Django storage; on S3 it lists and deletes 1,000 objects a
request (the bucket's collection API of boto3) instead of one request per object."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from django.core.files.storage import default_storage

from accounts.models import ExamYear

from .models import IMAGE_FOLDERS, MaterialImage, PhotoCheck


@dataclass
class YearFiles:
    sizes: dict[str, int] = field(default_factory=dict)  # stored name → bytes
    folders: list[str] = field(default_factory=list)  # the year's folders

    @property
    def count(self) -> int:
        return len(self.sizes)

    @property
    def bytes(self) -> int:
        return sum(self.sizes.values())


def _bucket_prefix(storage, folder: str) -> str:
    location = (getattr(storage, "location", "") or "").strip("/")
    return f"{location}/{folder}/" if location else f"{folder}/"


def _is_s3(storage) -> bool:
    return hasattr(storage, "bucket") and hasattr(storage, "bucket_name")


def _folder_listing(storage, folder: str) -> dict[str, int]:
    """Every file under `folder` (recursively): stored name → bytes."""
    if _is_s3(storage):
        prefix = _bucket_prefix(storage, folder)
        strip = len(prefix) - len(folder) - 1
        return {obj.key[strip:]: obj.size for obj in storage.bucket.objects.filter(Prefix=prefix)}
    if not storage.exists(folder):
        return {}
    found: dict[str, int] = {}
    directories, files = storage.listdir(folder)
    for name in files:
        found[f"{folder}/{name}"] = storage.size(f"{folder}/{name}")
    for directory in directories:
        found.update(_folder_listing(storage, f"{folder}/{directory}"))
    return found


def year_files(*, exam_year: ExamYear, storage=None) -> YearFiles:
    """The stored files of the year's photos: its folders whole, and the files its rows
    name elsewhere (stored before the per-year folders)."""
    storage = storage or default_storage
    result = YearFiles(folders=[f"{folder}/{exam_year.year}" for folder in IMAGE_FOLDERS])
    for folder in result.folders:
        result.sizes.update(_folder_listing(storage, folder))
    named = MaterialImage.objects.filter(candidate__exam_year=exam_year).values_list(
        "original", "display", "thumbnail"
    )
    for row in named.iterator(chunk_size=2000):
        for name in row:
            if name and name not in result.sizes and storage.exists(name):
                result.sizes[name] = storage.size(name)
    return result


def year_files_delete(files: YearFiles, *, storage=None) -> None:
    """Deletes the files found by year_files (a file gone meanwhile is fine). Raises on a
    storage error: the rows still name their files then, and a second run finishes."""
    storage = storage or default_storage
    if _is_s3(storage):
        for folder in files.folders:
            storage.bucket.objects.filter(Prefix=_bucket_prefix(storage, folder)).delete()
        outside = [name for name in files.sizes if not name.startswith(tuple(files.folders))]
    else:
        outside = list(files.sizes)
    for name in outside:
        storage.delete(name)
    if not _is_s3(storage) and hasattr(storage, "path"):
        for folder in files.folders:  # the emptied folders go too (deepest first)
            if storage.exists(folder):
                for path, _dirs, _files in sorted(
                    os.walk(storage.path(folder)), key=lambda w: -len(w[0])
                ):
                    if not os.listdir(path):
                        os.rmdir(path)


def year_photo_data_clear(*, exam_year: ExamYear) -> dict[str, int]:
    """The year's photo rows keep their category, status and dates (the counts) but name no
    file and no checksum; the machine pre-check's readings (text, name and number read,
    perceptual hash) are deleted. Call inside the purge's transaction."""
    images = MaterialImage.objects.filter(candidate__exam_year=exam_year).exclude(
        original="", display="", thumbnail="", sha256=""
    )
    cleared = images.update(original="", display="", thumbnail="", sha256="")
    checks, _details = PhotoCheck.objects.filter(exam_year=exam_year).delete()
    return {"images": cleared, "photo_checks": checks}
