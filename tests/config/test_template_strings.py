"""Every string marked for translation in a template has its English translation in a
committed catalogue. Read from the templates as Django parses them ({% translate %},
{% blocktranslate %} with its plural and context, and _("…") in variables and filter
arguments), so it needs no gettext tools: a string added to a template without `make
messages` fails here, even on a page no other test renders in English."""

from pathlib import Path

import polib
import pytest
from django.template import engines
from django.template.base import FilterExpression, Variable, VariableNode
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.utils import translation
from django.utils.functional import Promise

from tests.config.test_catalogues import PO_FILES, ROOT

# Each folder of templates whose strings a committed catalogue must hold.
FOLDERS = [
    pytest.param("templates", id="templates"),
    pytest.param("materials/templates", id="materials"),
    pytest.param("demo/templates", id="demo"),
]


def _context(expression) -> str | None:
    return expression.resolve({}) if expression is not None else None


def _translated_variables(expression: FilterExpression):
    """The _("…") literals of a variable and of its filters' arguments: Django resolves them
    when it parses, to lazy translations, whose source string shows with no language active."""
    candidates = [expression.var] + [arg for _f, args in expression.filters for _l, arg in args]
    for value in candidates:
        if isinstance(value, Promise):
            with translation.override(None):
                yield (None, str(value), None)


def _marked(nodelist):
    """(context, msgid, msgid_plural) of every string marked in a node list, recursively."""
    for node in nodelist:
        if isinstance(node, TranslateNode):
            var = node.filter_expression.var
            if isinstance(var, Variable) and var.literal is not None:
                yield (_context(node.message_context), str(var.literal), None)
        elif isinstance(node, BlockTranslateNode):
            singular, _vars = node.render_token_list(node.singular)
            plural = node.render_token_list(node.plural)[0] if node.plural else None
            yield (_context(node.message_context), singular, plural)
        elif isinstance(node, VariableNode):
            yield from _translated_variables(node.filter_expression)
        for attr in getattr(node, "child_nodelists", ()):
            yield from _marked(getattr(node, attr, None) or ())
        for _condition, children in getattr(node, "conditions_nodelists", ()):
            yield from _marked(children)


def marked_strings(folder: Path) -> dict[tuple, str]:
    """Every marked string of the templates in a folder, with the first file it is in."""
    engine = engines["django"].engine
    found: dict[tuple, str] = {}
    for path in sorted(folder.rglob("*.html")):
        template = engine.from_string(path.read_text(encoding="utf-8"))
        for key in _marked(template.nodelist):
            found.setdefault(key, str(path.relative_to(folder)))
    return found


def translated() -> set[tuple]:
    keys = set()
    for po_path in PO_FILES:
        for entry in polib.pofile(str(po_path)).translated_entries():
            keys.add((entry.msgctxt, entry.msgid, entry.msgid_plural or None))
    return keys


def test_the_reader_finds_every_kind_of_mark(tmp_path):
    (tmp_path / "page.html").write_text(
        '{% load i18n %}{% translate "考区" %}{% translate "通过" context "decision" %}'
        "{% if x %}{% blocktranslate trimmed with n=x %}第 {{ n }}\n  张{% endblocktranslate %}"
        "{% endif %}{% blocktranslate count n=x %}{{ n }} 张{% plural %}{{ n }} 张"
        '{% endblocktranslate %}{{ when|date:_("Y年n月j日") }}{% for a in b %}{{ _("考点") }}'
        "{% endfor %}",
        encoding="utf-8",
    )
    assert set(marked_strings(tmp_path)) == {
        (None, "考区", None),
        ("decision", "通过", None),
        (None, "第 %(n)s 张", None),
        (None, "%(n)s 张", "%(n)s 张"),
        (None, "Y年n月j日", None),
        (None, "考点", None),
    }


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_string_of_the_templates_is_translated(folder):
    missing = [
        f"{where}: {key[1]!r}" + (f" (context {key[0]!r})" if key[0] else "")
        for key, where in marked_strings(ROOT / folder).items()
        if key not in translated()
    ]
    assert missing == [], "run `make messages` and translate:\n" + "\n".join(missing)
