"""The national material template and its copy into the demo provinces (idempotent).

Applicability, decided here and visible in the admin:
- 身份证明 comes in three variants by candidate tag: the resident ID card (everyone except
  港澳台/外籍), a 通行证 (港澳台) and a passport (外籍). Exactly one applies to each candidate.
- 执业助理医师资格证书, 执业证书, 首次注册证明 and 执业期考核证明 concern assistants
  (执业助理医师) applying as physicians. The registration data tell us the exam category
  (1xx = 执业医师) but not whether the candidate already is an assistant, so these apply to
  the 1xx categories and are optional, with instructions saying who must upload them. A
  province whose registration system sends a tag for these candidates can set it on the
  rows (tags) and make them required.
- 出师证书 / 医术确有专长证书 apply to the tags 师承 / 确有专长 (exam categories 143/243).
- 实习申请审核表 applies to 港澳台 and 外籍.
- 在读研究生 (professional master's students) upload the 临床实践训练经历满一年证明及个人承诺书
  (the form is attached, from the 2022 guide) instead of a diploma and a probation proof.

Example pictures and the form are drawn with Pillow at seed time (stored once under fixed
names; later runs reuse them).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageDraw

from accounts.models import ExamCategory, ExamYear, Province
from materials.models import MaterialCategory
from materials.services import category_copy_template
from materials.watermark import font

NOT_LOCAL = ["港澳台", "外籍"]


@dataclass(frozen=True)
class Spec:
    code: str
    name: str
    instructions: str
    name_en: str = ""
    instructions_en: str = ""
    required: bool = False
    min_count: int = 0
    max_count: int = 2
    tags: list[str] = field(default_factory=list)
    excluded_tags: list[str] = field(default_factory=list)
    physician_only: bool = False  # exam categories 1xx
    is_other: bool = False
    example: tuple[str, ...] = ()  # card titles drawn on the example picture
    attachment: bool = False
    precheck: str = "none"  # PrecheckRead: what the machine pre-check reads


TEMPLATE: tuple[Spec, ...] = (
    Spec(
        "id-card",
        "身份证明",
        "请上传与报名信息一致的有效居民身份证正反面照片（正面、反面各一张），四角完整，文字清晰，"
        "不得遮挡、翻转或旋转。",
        name_en="Proof of identity",
        instructions_en=(
            "Upload photos of both sides of your valid resident ID card, matching your "
            "registration (one of the front, one of the back): all four corners in the picture, "
            "the text legible, nothing covered, flipped or rotated."
        ),
        required=True,
        min_count=2,
        max_count=2,
        excluded_tags=NOT_LOCAL,
        example=("居民身份证（人像面）", "居民身份证（国徽面）"),
        precheck="id_card",
    ),
    Spec(
        "id-permit",
        "身份证明（港澳台居民）",
        "请上传与报名信息一致的港澳居民来往内地通行证或台湾居民来往大陆通行证正反面照片；"
        "持港澳台居民居住证报名的，上传居住证正反面。",
        name_en="Proof of identity (Hong Kong, Macao and Taiwan residents)",
        instructions_en=(
            "Upload photos of both sides of your Mainland Travel Permit for Hong Kong and Macao "
            "Residents or Mainland Travel Permit for Taiwan Residents, matching your registration; "
            "if you registered with a Residence Permit for Hong Kong, Macao and Taiwan Residents, "
            "upload both sides of that permit."
        ),
        required=True,
        min_count=2,
        max_count=2,
        tags=["港澳台"],
        example=("来往内地（大陆）通行证 正面", "来往内地（大陆）通行证 背面"),
    ),
    Spec(
        "id-passport",
        "身份证明（外籍）",
        "请上传与报名信息一致的有效护照照片（外国护照需上传信息页与封页）。",
        name_en="Proof of identity (foreign nationals)",
        instructions_en=(
            "Upload photos of your valid passport, matching your registration (a foreign passport: "
            "the information page and the cover)."
        ),
        required=True,
        min_count=2,
        max_count=2,
        tags=["外籍"],
        example=("护照 信息页", "护照 封页"),
    ),
    Spec(
        "diploma",
        "学历证明",
        "请上传毕业证书原件照片。境外取得的学历，同时上传教育部留学服务中心出具的《国（境）外学历"
        "学位认证书》。应届毕业生上传学生证及学校出具的应届毕业生证明。",
        name_en="Proof of education",
        instructions_en=(
            "Upload a photo of the original graduation certificate. For a degree obtained outside "
            "the mainland, also upload the Foreign Academic Degree Certification issued by the "
            "Chinese Service Center for Scholarly Exchange of the Ministry of Education. Graduates "
            "of this year upload their student card and the school's certificate of expected "
            "graduation."
        ),
        required=True,
        min_count=1,
        max_count=4,
        excluded_tags=["在读研究生"],
        example=("毕业证书",),
    ),
    Spec(
        "chsi-record",
        "学历证书电子注册备案表",
        "2001年及以后取得学历的考生，请上传在学信网（www.chsi.com.cn）下载的《教育部学历证书电子"
        "注册备案表》，须在有效期内，在线验证码清晰可见。2001年以前毕业的无需上传。",
        name_en="Online Verification Report of Higher Education Qualification Certificate",
        instructions_en=(
            "If you obtained your qualification in 2001 or later, upload the Ministry of "
            "Education's Online Verification Report of Higher Education Qualification Certificate "
            "downloaded from CHSI (www.chsi.com.cn): still valid, with the online verification "
            "code legible. Not needed if you graduated before 2001."
        ),
        max_count=2,
        excluded_tags=[*NOT_LOCAL, "在读研究生"],
        example=("教育部学历证书电子注册备案表",),
    ),
    Spec(
        "practice-pledge",
        "临床实践训练经历满一年证明及个人承诺书",
        "在读专业学位研究生：请下载附件，如实填写，由临床实践单位和研究生院盖章、本人签字后拍照上传；"
        "同时上传学生证。",
        name_en="Proof of one year of clinical practice training and personal pledge",
        instructions_en=(
            "Professional-degree postgraduate students: download the form, fill it in truthfully, "
            "have it stamped by the clinical practice institution and the graduate school, sign "
            "it, then upload a photo of it; also upload your student card."
        ),
        required=True,
        min_count=1,
        max_count=3,
        tags=["在读研究生"],
        attachment=True,
        example=("临床实践训练经历满一年证明及个人承诺书",),
    ),
    Spec(
        "probation",
        "试用期考核合格证明",
        "请上传试用机构出具并加盖公章的《医师资格考试试用期考核证明》。",
        name_en="Proof of passing the probation assessment",
        instructions_en=(
            "Upload the Probation Assessment Certificate for the Medical Licensing Examination "
            "issued and stamped by the institution where you served your probation."
        ),
        required=True,
        min_count=1,
        max_count=2,
        excluded_tags=["在读研究生", "师承", "确有专长"],
        example=("医师资格考试试用期考核证明",),
    ),
    Spec(
        "assistant-certificate",
        "执业助理医师资格证书",
        "执业助理医师报考执业医师的考生上传：《医师资格证书》（执业助理医师）含照片和编号的信息页。",
        name_en="Licensed assistant physician qualification certificate",
        instructions_en=(
            "For licensed assistant physicians applying for the licensed physician examination: "
            "the pages of your Physician Qualification Certificate (licensed assistant physician) "
            "with your photo and its number."
        ),
        physician_only=True,
        example=("医师资格证书（执业助理医师）",),
    ),
    Spec(
        "assistant-licence",
        "执业证书",
        "执业助理医师报考执业医师的考生上传：《医师执业证书》（执业助理医师）全部信息页，含注册"
        "及变更记录页。",
        name_en="Practising certificate",
        instructions_en=(
            "For licensed assistant physicians applying for the licensed physician examination: "
            "every information page of your Physician Practising Certificate (licensed assistant "
            "physician), including the registration and change record pages."
        ),
        max_count=4,
        physician_only=True,
        example=("医师执业证书",),
    ),
    Spec(
        "assistant-first-registration",
        "首次注册证明",
        "执业助理医师报考执业医师、执业证书未载明首次注册日期的考生，上传卫生健康行政部门出具的"
        "首次注册证明。",
        name_en="Proof of first registration",
        instructions_en=(
            "For licensed assistant physicians applying for the licensed physician examination "
            "whose practising certificate does not state the date of first registration: the proof "
            "of first registration issued by the health administration."
        ),
        physician_only=True,
    ),
    Spec(
        "assistant-practice-assessment",
        "执业期考核证明",
        "执业助理医师报考执业医师的考生上传：执业机构出具并加盖公章的执业期考核证明（取得执业"
        "助理医师执业证书后，在医疗机构中执业满规定年限）。",
        name_en="Proof of practice assessment",
        instructions_en=(
            "For licensed assistant physicians applying for the licensed physician examination: "
            "the practice assessment certificate issued and stamped by the institution where you "
            "practise (having practised in a medical institution for the required years since "
            "obtaining the assistant physician's practising certificate)."
        ),
        physician_only=True,
    ),
    Spec(
        "apprentice-certificate",
        "出师证书",
        "传统医学师承人员上传《传统医学师承出师证书》。",
        name_en="Apprenticeship completion certificate",
        instructions_en=(
            "Traditional medicine apprentices upload their Traditional Medicine Apprenticeship "
            "Completion Certificate."
        ),
        required=True,
        min_count=1,
        tags=["师承"],
        example=("传统医学师承出师证书",),
    ),
    Spec(
        "expertise-certificate",
        "医术确有专长证书",
        "传统医学医术确有专长人员上传《传统医学医术确有专长证书》。",
        name_en="Certificate of proven medical expertise",
        instructions_en=(
            "People with proven expertise in traditional medicine upload their Certificate of "
            "Proven Expertise in Traditional Medicine."
        ),
        required=True,
        min_count=1,
        tags=["确有专长"],
        example=("传统医学医术确有专长证书",),
    ),
    Spec(
        "internship-form",
        "实习申请审核表",
        "台湾、香港、澳门居民及外籍人员上传在内地（大陆）实习的《医学专业毕业生实习申请审核表》。",
        name_en="Internship application and approval form",
        instructions_en=(
            "Residents of Taiwan, Hong Kong and Macao and foreign nationals upload the Internship "
            "Application and Approval Form for Medical Graduates of their internship in the "
            "mainland."
        ),
        required=True,
        min_count=1,
        tags=NOT_LOCAL,
    ),
    Spec(
        "institution-licence",
        "医疗机构执业许可证副本",
        "请上传试用（执业）机构《医疗机构执业许可证》副本照片，机构名称、诊疗科目和有效期须清晰。",
        name_en="Medical institution practising licence (duplicate original)",
        instructions_en=(
            "Upload a photo of the duplicate original of the Medical Institution Practising "
            "Licence of your probation (practice) institution: the institution's name, its "
            "medical subjects and the period of validity legible."
        ),
        excluded_tags=["在读研究生"],
        example=("医疗机构执业许可证（副本）",),
    ),
    Spec(
        "other",
        "其他",
        "考区、考点通知要求的其他材料（如姓名变更证明、工作证明等），以及不属于以上各项的材料。",
        name_en="Other",
        instructions_en=(
            "Other materials that your province or test site has asked for (such as proof of a "
            "change of name or proof of employment), and materials that fit none of the items "
            "above."
        ),
        max_count=10,
        is_other=True,
    ),
)

PLEDGE_TITLE = "临床实践训练经历满一年证明及个人承诺书"
# The form itself is the Chinese one the graduate school stamps; its name is translated.
PLEDGE_TITLE_EN = "Proof of one year of clinical practice training and personal pledge (form)"
PLEDGE_TEXT = (
    "本人于____年____月____日毕业于__________________学校__________专业。"
    "自____年____月起，在__________________单位进行临床实践训练，"
    "至____年____月临床实践训练时间满一年。",
    "本人承诺所获学位证书为专业学位，并将于今年医学综合考试前，将后续临床实践训练经历累计"
    "满一年的证明及硕（博）士毕业证书原件及复印件、学位证书原件及复印件（研究生毕业当年报名"
    "考生）交至考点办公室审核。如不能按时提交则视为自动放弃当年医学综合考试资格。",
)
PLEDGE_FOOTER = (
    "临床实践单位（章）                研究生院（章）",
    "____年____月____日",
    "承诺人签字：",
    "承诺人身份证号：",
    "手机号码：",
    "注：此证明仅限报考国家医师资格考试用，请考生凭此证明和学生证原件及复印件参加报名。",
)


def _wrap(draw: ImageDraw.ImageDraw, text: str, f, width: int) -> list[str]:
    lines, line = [], ""
    for ch in text:
        if draw.textlength(line + ch, font=f) > width:
            lines.append(line)
            line = ch
        else:
            line += ch
    if line:
        lines.append(line)
    return lines


def example_picture(titles: Iterable[str]) -> bytes:
    """A drawn stand-in for a document photo: one card per title, lines for text, a photo box
    on the first card, and a red 示例 stamp. PNG."""
    titles = list(titles)
    card_w, card_h, margin = 640, 400, 30
    im = Image.new("RGB", (card_w + 2 * margin, len(titles) * (card_h + margin) + margin), "white")
    draw = ImageDraw.Draw(im)
    title_font, stamp_font = font(28), font(96)
    for i, title in enumerate(titles):
        x0, y0 = margin, margin + i * (card_h + margin)
        draw.rounded_rectangle(
            (x0, y0, x0 + card_w, y0 + card_h),
            radius=18,
            fill=(233, 242, 250),
            outline=(70, 110, 160),
            width=3,
        )
        draw.text((x0 + 24, y0 + 20), title, font=title_font, fill=(30, 60, 110))
        for row in range(5):
            y = y0 + 90 + row * 48
            draw.rounded_rectangle(
                (x0 + 24, y, x0 + 360 - row * 30, y + 18), radius=6, fill=(160, 175, 195)
            )
        if i == 0 and "国徽" not in title and "背面" not in title and "封页" not in title:
            draw.rectangle(
                (x0 + card_w - 190, y0 + 90, x0 + card_w - 40, y0 + 290),
                fill=(200, 210, 225),
                outline=(120, 140, 170),
                width=2,
            )
            draw.ellipse(
                (x0 + card_w - 150, y0 + 120, x0 + card_w - 80, y0 + 190), fill=(160, 175, 195)
            )
            draw.rounded_rectangle(
                (x0 + card_w - 170, y0 + 200, x0 + card_w - 60, y0 + 280),
                radius=30,
                fill=(160, 175, 195),
            )
    stamp = Image.new("L", (360, 160), 0)
    ImageDraw.Draw(stamp).text((30, 10), "示例", font=stamp_font, fill=255)
    stamp = stamp.rotate(20, expand=True, resample=Image.Resampling.BICUBIC)
    sx = (im.width - stamp.width) // 2
    sy = (im.height - stamp.height) // 2
    im.paste((210, 30, 30), (sx, sy), stamp.point(lambda v: v * 3 // 4))
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def pledge_form_pdf() -> bytes:
    """附件: the pledge form of the 2022 guide as an A4 PDF page (150 dpi), ready to print."""
    w, h = 1240, 1754
    im = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(im)
    body, head = font(30), font(44)
    draw.text((100, 110), "附件", font=font(32), fill="black")
    tw = draw.textlength(PLEDGE_TITLE, font=head)
    draw.text(((w - tw) / 2, 220), PLEDGE_TITLE, font=head, fill="black")
    y = 360
    for paragraph in PLEDGE_TEXT:
        for line in _wrap(draw, "\u3000\u3000" + paragraph, body, w - 220):
            draw.text((110, y), line, font=body, fill="black")
            y += 54
        y += 30
    y += 60
    for line in PLEDGE_FOOTER:
        if line.startswith("注"):
            y += 60
            for part in _wrap(draw, line, font(26), w - 220):
                draw.text((110, y), part, font=font(26), fill="black")
                y += 44
        else:
            draw.text((110 if "章" in line else 640, y), line, font=body, fill="black")
            y += 70
    buf = io.BytesIO()
    im.save(buf, "PDF", resolution=150.0, title=PLEDGE_TITLE)
    return buf.getvalue()


def _stored(name: str, make) -> str:
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(make()))
    return name


def seed_template(*, exam_year: ExamYear) -> int:
    """The national template rows of the year (rows an operator already changed are kept)."""
    physician = list(ExamCategory.objects.filter(code__startswith="1"))
    created = 0
    for order, spec in enumerate(TEMPLATE, start=1):
        row, was_created = MaterialCategory.objects.get_or_create(
            exam_year=exam_year,
            province=None,
            code=spec.code,
            defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "instructions": spec.instructions,
                "instructions_en": spec.instructions_en,
                "required": spec.required,
                "min_count": spec.min_count,
                "max_count": spec.max_count,
                "tags": list(spec.tags),
                "excluded_tags": list(spec.excluded_tags),
                "is_other": spec.is_other,
                "precheck": spec.precheck,
                "order": order * 10,
            },
        )
        if not was_created:
            continue
        created += 1
        if spec.example:
            row.example_image.name = _stored(
                f"examples/seed-{spec.code}.png", lambda s=spec: example_picture(s.example)
            )
        if spec.attachment:
            row.attachment.name = _stored(f"attachments/seed-{spec.code}.pdf", pledge_form_pdf)
            row.attachment_name = PLEDGE_TITLE
            row.attachment_name_en = PLEDGE_TITLE_EN
        row.save()
        if spec.physician_only and physician:
            row.exam_categories.set(physician)
    return created


def seed_demo_materials(*, exam_year: ExamYear, provinces: Iterable[Province]) -> int:
    """The national template and a copy in each given province. Idempotent; returns how many
    province rows were created."""
    with transaction.atomic():
        seed_template(exam_year=exam_year)
        return sum(
            category_copy_template(province=province, exam_year=exam_year) for province in provinces
        )
