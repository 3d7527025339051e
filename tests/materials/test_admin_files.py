"""Example images and attachments posted in the admin go through the upload's content
checks: refused with a clear message (nothing saved), or stored under the extension of what
they are."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from materials.models import MaterialCategory
from tests import photos
from tests.factories.accounts import ExamYearFactory, ProvinceFactory, operator
from tests.materials.helpers import stored_files
from tests.materials.test_admin_seed import _form_data
from tests.materials.test_hostile_files import HTML, _png_small_bomb

pytestmark = pytest.mark.django_db

ADD = "/admin/materials/materialcategory/add/"


@pytest.fixture
def setup(client):
    year, province = ExamYearFactory(), ProvinceFactory(code="12", name="天津")
    client.force_login(operator(province))
    return year, province


def post(client, setup, **files):
    year, province = setup
    data = _form_data(year, province)
    data.update({k: SimpleUploadedFile(*v) for k, v in files.items()})
    return client.post(ADD, data)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bomb.png", _png_small_bomb(), "不像是一张正常的照片"),
        ("example.jpg", photos.make_gif(), "您选择的文件是 GIF 格式"),
        ("example.png", HTML, "请上传一张有效的图片"),
    ],
    ids=["small-bomb", "gif-renamed", "html-renamed"],
)
def test_admin_example_image_hostile_refused_nothing_saved(client, setup, name, data, message):
    before = stored_files()
    response = post(client, setup, example_image=(name, data))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not MaterialCategory.objects.exists()
    assert stored_files() == before


def test_admin_example_image_stored_under_the_extension_of_its_content(client, setup):
    response = post(client, setup, example_image=("example.jpeg", photos.make_jpeg(640, 480)))
    assert response.status_code == 302
    assert MaterialCategory.objects.get().example_image.name.endswith(".jpg")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("form.pdf", HTML),
        ("form.docx", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("form.xls", b"GIF89a" + b"\x00" * 100),
        ("form.txt", b"\xff\xfe\x00\x00binary"),
        ("form.png", _png_small_bomb()),
    ],
    ids=["html-as-pdf", "svg-as-docx", "gif-as-xls", "binary-as-txt", "bomb-as-png"],
)
def test_admin_attachment_content_not_what_its_name_says_refused(client, setup, name, data):
    response = post(client, setup, attachment=(name, data))
    assert response.status_code == 200
    body = response.content.decode()
    assert "附件内容与扩展名" in body or "不像是一张正常的照片" in body
    assert not MaterialCategory.objects.exists()


def test_admin_attachment_real_pdf_accepted(client, setup):
    response = post(client, setup, attachment=("form.pdf", photos.make_pdf()))
    assert response.status_code == 302
    assert MaterialCategory.objects.get().attachment.name.endswith(".pdf")
