"""The pure parts of the machine pre-check: GB 11643 numbers, name matching, the perceptual
hash and its pigeonhole parts, the quality hints."""

import io
import random

import pytest
from PIL import Image, ImageFilter

from materials.precheck import dhash, idno, names, ocr, quality, reading
from tests.idcards import card_front

# The example of GB 11643-1999 itself, and a number ending in 0.
EXAMPLE_X = "11010519491231002X"
EXAMPLE_0 = "440524188001010014"


# --- the ID number -------------------------------------------------------------------------


def test_check_character_of_the_standard_example_is_x():
    assert idno.check_character(EXAMPLE_X[:17]) == "X"


@pytest.mark.parametrize("number", [EXAMPLE_X, EXAMPLE_0, "11010519491231002x"])
def test_valid_numbers_pass(number):
    assert idno.is_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check character
        "11010519491231002",  # 17 characters
        "1101051949123100211",  # 19
        "X10105194912310021",  # X only in the last place
        "",
    ],
)
def test_invalid_numbers_fail(number):
    assert not idno.is_valid(number)


def test_full_width_digits_and_x_are_the_same_number():
    assert idno.normalise("１１０１０５１９４９１２３１００２Ｘ") == EXAMPLE_X
    assert idno.is_valid("１１０１０５１９４９１２３１００２ｘ")


def test_find_reads_the_number_in_a_line_of_ocr_text():
    assert idno.find(f"公民身份号码{EXAMPLE_X}") == EXAMPLE_X
    assert idno.find("公民身份号码 1101 0519 4912 3100 2x") == EXAMPLE_X


def test_find_takes_letters_ocr_confuses_with_digits_as_digits():
    assert idno.find("11O1O519491231OO2X") == EXAMPLE_X
    assert idno.find("44O524l88OO1O1OO14") == EXAMPLE_0


def test_find_returns_a_number_of_the_right_shape_even_if_not_valid():
    assert idno.find("110105194912310021") == "110105194912310021"
    assert idno.find("出生 1949 年 12 月 31 日") is None


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "read",
    [
        "阿依古丽·买买提",
        "阿依古丽•买买提",
        "阿依古丽・买买提",
        "阿依古丽．买买提",
        "阿依古丽 · 买买提",
    ],
)
def test_names_with_any_middle_dot_are_the_same(read):
    assert names.same(read, "阿依古丽·买买提")


def test_full_width_letters_and_spaces_do_not_matter():
    assert names.same("ＪＯＨＮ　ＳＭＩＴＨ", "john smith")
    assert names.same("张 三", "张三")


def test_different_names_differ():
    assert not names.same("张三", "张山")
    assert not names.same("", "")


def test_appears_in_finds_the_name_even_without_its_dot():
    assert names.appears_in("阿依古丽·买买提", "毕业证书 学生 阿依古丽买买提 性别女")
    assert not names.appears_in("张三", "学生 李四 性别男")


# --- the card compared with the registration (what OCR read, as lines) ----------------------


def _card_lines(*texts: str) -> list[ocr.Line]:
    """Lines as the OCR gives them, one under the other, each at the left of the card."""
    return [
        ocr.Line(
            text,
            0.99,
            [[40, 40 + 60 * i], [400, 40 + 60 * i], [400, 80 + 60 * i], [40, 80 + 60 * i]],
        )
        for i, text in enumerate(texts)
    ]


def _compare(lines, *, name: str, id_no: str) -> reading.Result:
    result = reading.Result(kind=reading.ID_CARD)
    reading.compare_card(result, lines, name=name, id_no=id_no)
    return result


@pytest.mark.parametrize(
    "registered",
    [
        EXAMPLE_X,
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105 19491231 002X",
    ],
)
def test_the_x_check_character_and_full_width_registered_numbers_match_the_card(registered):
    lines = _card_lines("姓名张三", f"公民身份号码{EXAMPLE_X}")
    result = _compare(lines, name="张三", id_no=registered)
    assert (result.id_no, result.id_no_valid, result.id_no_match) == (EXAMPLE_X, True, True)


def test_another_valid_number_on_the_card_is_a_mismatch():
    result = _compare(
        _card_lines("姓名张三", f"公民身份号码{EXAMPLE_0}"), name="张三", id_no=EXAMPLE_X
    )
    assert (result.id_no, result.id_no_match) == (EXAMPLE_0, False)


def test_a_number_read_with_a_wrong_check_character_is_unreadable_not_a_mismatch():
    misread = EXAMPLE_X[:17] + "1"
    result = _compare(
        _card_lines("姓名张三", f"公民身份号码{misread}"), name="张三", id_no=EXAMPLE_X
    )
    assert (result.id_no, result.id_no_valid, result.id_no_match) == (misread, False, None)


def test_no_number_read_is_unreadable():
    result = _compare(_card_lines("姓名张三", "公民身份号码"), name="张三", id_no=EXAMPLE_X)
    assert (result.id_no, result.id_no_match) == (None, None)


@pytest.mark.parametrize(
    ("on_card", "registered"),
    [
        ("姓名阿依古丽•买买提", "阿依古丽·买买提"),
        ("姓名：阿依古丽．买买提", "阿依古丽·买买提"),
        ("姓名ＪＯＨＮ　ＳＭＩＴＨ", "john smith"),
    ],
)
def test_the_name_on_the_card_matches_whatever_its_dot_or_width(on_card, registered):
    result = _compare(
        _card_lines(on_card, f"公民身份号码{EXAMPLE_X}"), name=registered, id_no=EXAMPLE_X
    )
    assert result.name_match is True


def test_the_name_beside_its_label_is_read_and_another_name_is_a_mismatch():
    lines = [
        ocr.Line("姓名", 0.99, [[40, 40], [110, 40], [110, 80], [40, 80]]),
        ocr.Line("李四", 0.99, [[130, 42], [230, 42], [230, 82], [130, 82]]),
        ocr.Line(f"公民身份号码{EXAMPLE_X}", 0.99, [[40, 300], [600, 300], [600, 340], [40, 340]]),
    ]
    result = _compare(lines, name="张三", id_no=EXAMPLE_X)
    assert (result.name, result.name_match) == ("李四", False)


# --- the perceptual hash -------------------------------------------------------------------


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def test_the_same_photo_recompressed_and_resized_stays_within_the_limit():
    card = card_front(name="张三", id_no=EXAMPLE_X, seed=1)
    copy = _jpeg(card.resize((600, 379)), 50)
    assert dhash.distance(dhash.dhash(card), dhash.dhash(copy)) <= dhash.HAMMING_LIMIT


def test_different_cards_are_far_apart():
    one = card_front(name="张三", id_no=EXAMPLE_X, seed=1)
    other = Image.new("RGB", (856, 540), (200, 200, 200))
    other.paste(one.rotate(180), (0, 0))
    assert dhash.distance(dhash.dhash(one), dhash.dhash(other)) > dhash.HAMMING_LIMIT


def test_signed_storage_round_trips():
    for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        assert dhash.to_unsigned(dhash.to_signed(value)) == value
        assert -(1 << 63) <= dhash.to_signed(value) < 1 << 63


def test_parts_are_the_four_16_bit_words():
    assert dhash.parts(0x0123456789ABCDEF) == (0x0123, 0x4567, 0x89AB, 0xCDEF)


def test_within_the_limit_two_hashes_always_share_a_part():
    """The pigeonhole property the reuse lookup relies on."""
    rng = random.Random(7)
    for _ in range(2000):
        value = rng.getrandbits(64)
        other = value
        for bit in rng.sample(range(64), rng.randint(0, dhash.HAMMING_LIMIT)):
            other ^= 1 << bit
        assert any(a == b for a, b in zip(dhash.parts(value), dhash.parts(other), strict=True))


# --- quality -------------------------------------------------------------------------------


def _photo_of_card() -> Image.Image:
    desk = Image.new("RGB", (1600, 1200), (150, 130, 110))
    desk.paste(card_front(name="张三", id_no=EXAMPLE_X, seed=2).resize((1284, 810)), (158, 195))
    return desk


def test_a_clear_photo_has_no_quality_hint():
    assert quality.hints(_photo_of_card()) == []


def test_a_blurred_photo_is_blurred():
    assert quality.hints(_photo_of_card().filter(ImageFilter.GaussianBlur(5))) == ["blurred"]


def test_a_dark_photo_is_dark():
    dark = _photo_of_card().point(lambda v: v // 6)
    assert "dark" in quality.hints(dark)


def test_a_burnt_out_photo_is_bright():
    bright = _photo_of_card().point(lambda v: min(255, v * 3))
    assert "bright" in quality.hints(bright)


def test_a_small_photo_is_small():
    assert "small" in quality.hints(_photo_of_card().resize((400, 300)))


def test_a_blank_photo_is_empty_not_blurred():
    assert quality.hints(Image.new("RGB", (1600, 1200), (128, 128, 128))) == ["empty"]
