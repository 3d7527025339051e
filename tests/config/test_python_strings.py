"""Every string marked for translation in the Python code has its English translation in a
committed catalogue: the gettext calls with literal strings (_, gettext, gettext_lazy,
gettext_noop, pgettext, ngettext and their lazy forms), read with Python's own parser, so a
string added without `make messages` fails here with no gettext tools installed."""

import ast
from pathlib import Path

import pytest

from tests.config.test_template_strings import translated

ROOT = Path(__file__).resolve().parents[2]
# (context position, msgid position, plural position) of each function's arguments.
FUNCTIONS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
PACKAGES = [
    pytest.param("config", id="config"),
    pytest.param("accounts", id="accounts"),
    pytest.param("materials", id="materials"),
    pytest.param("review", id="review"),
    pytest.param("notifications", id="notifications"),
    pytest.param("demo", id="demo"),
]


def _literal(args: list, position: int | None):
    if position is None:
        return None
    argument = args[position] if position < len(args) else None
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return argument.value
    raise LookupError  # not a literal: nothing a catalogue could hold


def marked_in_source(source: str) -> set[tuple]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in FUNCTIONS:
            continue
        context, msgid, plural = FUNCTIONS[name]
        try:
            found.add(
                (
                    _literal(node.args, context),
                    _literal(node.args, msgid),
                    _literal(node.args, plural),
                )
            )
        except LookupError:
            continue
    return found


def marked_strings(package: Path) -> dict[tuple, str]:
    found: dict[tuple, str] = {}
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for key in marked_in_source(path.read_text(encoding="utf-8")):
            found.setdefault(key, str(path.relative_to(ROOT)))
    return found


def test_the_reader_finds_every_kind_of_call():
    source = (
        "from django.utils import translation\n"
        "from django.utils.translation import gettext_lazy as _\n"
        'A = _("考区")\n'
        'B = translation.pgettext("decision", "通过")\n'
        'C = ngettext("%(n)s 张", "%(n)s 张", 2)\n'
        'D = _("第一行，"\n      "第二行")\n'
        "E = _(name)\n"
        "for _ in range(3):\n    pass\n"
    )
    assert marked_in_source(source) == {
        (None, "考区", None),
        ("decision", "通过", None),
        (None, "%(n)s 张", "%(n)s 张"),
        (None, "第一行，第二行", None),
    }


@pytest.mark.parametrize("package", PACKAGES)
def test_every_string_of_the_code_is_translated(package):
    missing = [
        f"{where}: {key[1]!r}" + (f" (context {key[0]!r})" if key[0] else "")
        for key, where in marked_strings(ROOT / package).items()
        if key not in translated()
    ]
    assert missing == [], "run `make messages` and translate:\n" + "\n".join(missing)
