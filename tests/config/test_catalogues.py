"""The committed translation catalogues are complete and compiled (scripts/catalogues.py),
checked without the gettext tools, which a fresh machine does not have."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("catalogues", ROOT / "scripts" / "catalogues.py")
catalogues = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(catalogues)

PO_FILES = catalogues.po_files()


def test_the_project_catalogue_is_found():
    assert ROOT / "locale/en/LC_MESSAGES/django.po" in PO_FILES


HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Language: en\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
)


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_is_translated_and_the_mo_is_its_compile(po_path):
    assert catalogues.problems(po_path) == []


def _catalogue(tmp_path, body: str) -> Path:
    folder = tmp_path / "app" / "locale" / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po_path = folder / "django.po"
    po_path.write_text(HEADER + body, encoding="utf-8")
    return po_path


def test_the_check_names_an_untranslated_and_a_fuzzy_string(tmp_path):
    po_path = _catalogue(
        tmp_path,
        'msgid "提交审核"\nmsgstr "Submit for review"\n\n'
        'msgid "退回"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "考区"\nmsgstr "Province"\n',
    )
    po_path.with_suffix(".mo").write_bytes(catalogues.compiled(po_path))
    assert catalogues.problems(po_path) == [
        "untranslated: '退回' ()",
        "fuzzy: '考区' ()",
    ]


def test_the_check_names_a_translation_that_loses_or_invents_a_placeholder(tmp_path):
    po_path = _catalogue(
        tmp_path,
        'msgid "剩余 %(left)s"\nmsgstr "left"\n\n'
        'msgid "请在{hours}小时内修改"\nmsgstr "Reply within {hour} hours"\n\n'
        'msgid "第 %(n)s 张"\nmsgstr "Photo %(n)s"\n',
    )
    po_path.with_suffix(".mo").write_bytes(catalogues.compiled(po_path))
    assert catalogues.problems(po_path) == [
        "placeholders differ: '剩余 %(left)s' -> 'left'",
        "placeholders differ: '请在{hours}小时内修改' -> 'Reply within {hour} hours'",
    ]


def test_the_check_names_a_missing_or_stale_mo_and_compile_makes_it(tmp_path):
    po_path = _catalogue(tmp_path, 'msgid "考区"\nmsgstr "Province"\n')
    assert catalogues.problems(po_path) == [
        "no django.mo: run python scripts/catalogues.py compile"
    ]
    po_path.with_suffix(".mo").write_bytes(b"old")
    assert catalogues.problems(po_path) == [
        "django.mo is stale: run python scripts/catalogues.py compile"
    ]
    assert catalogues.po_files(tmp_path) == [po_path]


def test_the_compiled_catalogue_translates_and_leaves_out_fuzzy_strings(tmp_path):
    import gettext  # reason: the standard library's reader of .mo files, for this test only

    po_path = _catalogue(
        tmp_path, 'msgid "考区"\nmsgstr "Province"\n\n#, fuzzy\nmsgid "考点"\nmsgstr "Site"\n'
    )
    mo_path = po_path.with_suffix(".mo")
    mo_path.write_bytes(catalogues.compiled(po_path))
    with mo_path.open("rb") as mo:
        translations = gettext.GNUTranslations(mo)
    assert translations.gettext("考区") == "Province"
    assert translations.gettext("考点") == "考点"


def test_a_notation_in_braces_that_is_not_a_python_name_is_not_a_placeholder(tmp_path):
    # ${变量} in an operator's help text shows Alibaba Cloud's notation; {1} is Tencent's and
    # the English must keep it like any {name}.
    po_path = _catalogue(
        tmp_path,
        'msgid "腾讯云对应 {1}；阿里云对应 ${变量}。"\n'
        'msgstr "Tencent Cloud: {1}; Alibaba Cloud: ${…}."\n\n'
        'msgid "对应 {1}。"\nmsgstr "Maps to {one}."\n',
    )
    po_path.with_suffix(".mo").write_bytes(catalogues.compiled(po_path))
    assert catalogues.problems(po_path) == ["placeholders differ: '对应 {1}。' -> 'Maps to {one}.'"]
