"""Factories for material categories and photos.

MaterialImageFactory stores real files: a small JPEG original and a processed (metadata-free)
display file and thumbnail, READY, so that pages and photo responses work without running the
pipeline. Pass `processed=False` for a photo still PROCESSING (no display file)."""

import io
import uuid

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from materials.enums import DEFAULT_MAX_BYTES, ImageStatus, ProcessingState
from materials.models import MaterialCategory, MaterialImage, image_file_name
from tests.factories.accounts import CandidateFactory, ExamYearFactory, ProvinceFactory
from tests.photos import make_jpeg


class MaterialCategoryFactory(factory.django.DjangoModelFactory):
    """A category of a province (pass province=None for a national template row)."""

    class Meta:
        model = MaterialCategory
        skip_postgeneration_save = True

    exam_year = factory.SubFactory(ExamYearFactory)
    province = factory.SubFactory(ProvinceFactory)
    code = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"材料{n}")
    instructions = "请上传清晰完整的材料照片。"
    required = False
    min_count = 0
    max_count = 5
    max_bytes = DEFAULT_MAX_BYTES
    formats = factory.LazyFunction(lambda: ["jpeg", "png"])
    order = factory.Sequence(lambda n: n)

    @factory.post_generation
    def exam_categories(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.exam_categories.set(extracted)


def _small_jpeg(size: tuple[int, int]) -> bytes:
    im = Image.open(io.BytesIO(make_jpeg(640, 480, noise=0, camera_exif=False)))
    im.thumbnail(size)
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=80)
    return buf.getvalue()


class MaterialImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaterialImage
        skip_postgeneration_save = True

    class Params:
        processed = True

    candidate = factory.SubFactory(CandidateFactory)
    category = factory.LazyAttribute(
        lambda o: MaterialCategoryFactory(
            province=o.candidate.province, exam_year=o.candidate.exam_year
        )
    )
    status = ImageStatus.PENDING
    processing = factory.LazyAttribute(
        lambda o: ProcessingState.READY if o.processed else ProcessingState.PROCESSING
    )
    original = factory.LazyFunction(
        lambda: ContentFile(make_jpeg(640, 480, gps=True, comment="original"), name="x.jpg")
    )
    image_format = "jpeg"
    size_bytes = factory.LazyAttribute(lambda o: o.original.size)
    width = 640
    height = 480
    sha256 = factory.LazyFunction(lambda: uuid.uuid4().hex * 2)
    replaces = None
    # A replacement stands in the place of the photo it replaces, as image_upload sets it.
    place = factory.LazyAttribute(
        lambda o: (o.replaces.place or o.replaces.pk) if o.replaces else None
    )

    @factory.post_generation
    def files(obj, create, extracted, **kwargs):
        if not create or obj.processing != ProcessingState.READY or obj.display:
            return
        key, year = uuid.uuid4().hex, obj.candidate.exam_year.year
        obj.display.name = default_storage.save(
            image_file_name("display", year=year, key=key, suffix=".jpg"),
            ContentFile(_small_jpeg((640, 480))),
        )
        obj.thumbnail.name = default_storage.save(
            image_file_name("thumbs", year=year, key=key, suffix=".jpg"),
            ContentFile(_small_jpeg((320, 320))),
        )
        obj.save(update_fields=["display", "thumbnail"])
