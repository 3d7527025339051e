"""ID-card-like photos drawn with Pillow and the CJK font the project ships (the tests of the
machine pre-check and bench/precheck.py). Not real cards: the layout of the front of a
second-generation resident ID card (姓名, 性别, 民族, 出生, 住址, 公民身份号码) with random
valid numbers and names, photographed on a desk: background, perspective, rotation, blur,
JPEG quality, and the browser's shrink of a phone photo to under 200 KB."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from materials.precheck.idno import check_character
from materials.watermark import FONT_PATH

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志文晨宇浩然子涵欣怡梓轩雨泽思远嘉琪佳豪梦瑶俊杰雅婷博文诗涵"
DOTTED = ("阿依古丽·买买提", "迪丽娜尔·艾力", "热依拉·吐尔逊", "努尔艾力·阿不都", "古丽米拉·热合曼")
REGIONS = ("110101", "120101", "130102", "370102", "370202", "440103", "510104", "650102")
ADDRESSES = (
    "山东省济南市历下区泉城路",
    "天津市和平区南京路",
    "河北省石家庄市长安区中山东路",
    "北京市东城区东长安街",
    "四川省成都市锦江区红星路",
)
CLEAR_BYTES = 204_800


def random_name(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return rng.choice(DOTTED)
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def random_id_no(rng: random.Random) -> str:
    year = rng.randint(1965, 2003)
    first17 = (
        f"{rng.choice(REGIONS)}{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        f"{rng.randint(0, 999):03d}"
    )
    return first17 + check_character(first17)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def card_front(*, name: str, id_no: str, address: str = "", seed: int = 0) -> Image.Image:
    """An 856×540 card (10 px per mm), upright, in the layout of the front of the card."""
    rng = random.Random(seed)
    card = Image.new("RGB", (856, 540), (236, 242, 246))
    draw = ImageDraw.Draw(card)
    # The guilloche-like background pattern of the card.
    for k in range(0, 856, 14):
        draw.arc((k - 300, 200, k + 300, 800), 200, 340, fill=(214, 226, 236), width=1)
    label, value = _font(26), _font(32)
    ink, blue = (20, 20, 20), (40, 90, 160)
    draw.text((60, 60), "姓 名", font=label, fill=blue)
    draw.text((160, 54), name, font=value, fill=ink)
    draw.text((60, 125), "性 别", font=label, fill=blue)
    draw.text((160, 120), rng.choice("男女"), font=value, fill=ink)
    draw.text((260, 125), "民 族", font=label, fill=blue)
    draw.text((360, 120), "汉", font=value, fill=ink)
    draw.text((60, 190), "出 生", font=label, fill=blue)
    born = f"{id_no[6:10]} 年 {int(id_no[10:12])} 月 {int(id_no[12:14])} 日"
    draw.text((160, 185), born, font=value, fill=ink)
    draw.text((60, 255), "住 址", font=label, fill=blue)
    address = address or rng.choice(ADDRESSES) + f"{rng.randint(1, 299)}号"
    draw.text((160, 250), address[:13], font=value, fill=ink)
    if address[13:]:
        draw.text((160, 295), address[13:], font=value, fill=ink)
    draw.text((60, 440), "公民身份号码", font=label, fill=blue)
    draw.text((260, 432), id_no, font=_font(36), fill=ink)
    # Where the portrait is.
    draw.rectangle((600, 70, 800, 330), fill=(200, 208, 216))
    draw.ellipse((650, 110, 750, 220), fill=(150, 140, 130))
    draw.rectangle((630, 230, 770, 330), fill=(90, 100, 120))
    return card


@dataclass(frozen=True)
class Sample:
    name: str
    id_no: str
    data: bytes
    degraded: bool


def _desk(size: tuple[int, int], rng: random.Random) -> Image.Image:
    base = tuple(rng.randint(90, 200) for _ in range(3))
    desk = Image.new("RGB", size, base)
    draw = ImageDraw.Draw(desk)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        shade = tuple(max(0, min(255, c + rng.randint(-25, 25))) for c in base)
        draw.ellipse((x - 80, y - 30, x + 80, y + 30), fill=shade)
    return desk.filter(ImageFilter.GaussianBlur(12))


def _perspective(card: Image.Image, rng: random.Random, strength: float) -> Image.Image:
    w, h = card.size
    d = [rng.uniform(0, strength) * min(w, h) for _ in range(8)]
    # Where the four corners of the output come from in the card (a mild keystone).
    quad = (d[0], d[1], d[2], h - d[3], w - d[4], h - d[5], w - d[6], d[7])
    return card.transform(
        (w, h), Image.Transform.QUAD, quad, resample=Image.Resampling.BICUBIC, fillcolor=None
    )


def _shrink_under(im: Image.Image, limit: int, quality: int) -> bytes:
    """What the upload page does: JPEG at `quality`, smaller by steps until under limit."""
    while True:
        out = io.BytesIO()
        im.save(out, "JPEG", quality=quality)
        if out.tell() <= limit or im.width < 400:
            return out.getvalue()
        im = im.resize((round(im.width * 0.9), round(im.height * 0.9)), Image.Resampling.LANCZOS)


def photo(
    *,
    name: str,
    id_no: str,
    seed: int = 0,
    degraded: bool = False,
    size: tuple[int, int] = (1600, 1200),
) -> bytes:
    """The card photographed on a desk, as the upload page would send it (≤ 200 KB).
    Clear: the card nearly straight, sharp, JPEG quality 90. Degraded: rotation up to 10°,
    perspective, blur, JPEG quality 40-90."""
    rng = random.Random(seed)
    card = card_front(name=name, id_no=id_no, seed=seed)
    if degraded:
        card = _perspective(card, rng, 0.06)
        angle = rng.uniform(-10, 10)
    else:
        angle = rng.uniform(-1.5, 1.5)
    scale = rng.uniform(1.35, 1.6) if not degraded else rng.uniform(1.1, 1.6)
    card = card.resize((round(856 * scale), round(540 * scale)), Image.Resampling.LANCZOS)
    mask = Image.new("L", card.size, 255)
    card = card.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    mask = mask.rotate(angle, expand=True)
    desk = _desk(size, rng)
    x = (size[0] - card.width) // 2 + rng.randint(-40, 40)
    y = (size[1] - card.height) // 2 + rng.randint(-30, 30)
    desk.paste(card, (x, y), mask)
    if degraded:
        desk = desk.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.6)))
        quality = rng.randint(40, 90)
    else:
        quality = 90
    return _shrink_under(desk, CLEAR_BYTES, quality)


def sample(seed: int, *, degraded: bool = False) -> Sample:
    rng = random.Random(seed * 7919 + (1 if degraded else 0))
    name, id_no = random_name(rng), random_id_no(rng)
    return Sample(
        name, id_no, photo(name=name, id_no=id_no, seed=seed, degraded=degraded), degraded
    )
