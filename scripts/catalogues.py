"""The translation catalogues, without the gettext tools (a fresh machine has none).

    python scripts/catalogues.py compile   # every .po -> its .mo, next to it
    python scripts/catalogues.py check     # untranslated, fuzzy or stale: listed, exit 1

The catalogues are locale/<lang>/LC_MESSAGES/*.po (the root templates/, config/, the
scripts' strings) and <app>/locale/<lang>/LC_MESSAGES/*.po (each app's code and templates);
both the .po and the .mo are committed. `make messages` extracts the strings again
(makemessages, which needs gettext: development only), then compiles with this script.
The .mo is written by polib, so it is the same bytes on every machine; the tests compare
each committed .mo with a fresh compile of its .po (tests/config/test_catalogues.py)."""

import re
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
# Where catalogues are looked for: the project's and the apps' locale folders.
SKIP = {".venv", "var", "node_modules", ".git"}
# The placeholders a translation must keep: %(name)s of templates and gettext % formatting,
# {name} of str.format and the SMS texts. A lost one would break the page or the message.
# ASCII names only: ${变量} in a help text is a provider's notation shown to the operator.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{\w+\}", re.ASCII)


def po_files(root: Path = ROOT) -> list[Path]:
    found = []
    for locale in sorted(root.glob("*/locale")) + [root / "locale"]:
        if locale.parts[len(root.parts)] in SKIP or not locale.is_dir():
            continue
        found.extend(sorted(locale.glob("*/LC_MESSAGES/*.po")))
    return sorted(set(found))


def compiled(po_path: Path) -> bytes:
    """The .mo bytes of a .po: translated entries only (no fuzzy, untranslated or obsolete
    one), as msgfmt would keep them."""
    return polib.pofile(str(po_path)).to_binary()


def problems(po_path: Path) -> list[str]:
    """What keeps a catalogue from being complete: each untranslated or fuzzy entry, a
    translation whose placeholders differ from its source's, a placeholder Plural-Forms
    header, a missing or stale .mo."""
    po = polib.pofile(str(po_path))
    found = []
    for entry in po:
        if entry.obsolete:
            continue
        where = ", ".join(
            f"{path}:{line}" if line else path for path, line in entry.occurrences[:2]
        )
        if entry.fuzzy:
            found.append(f"fuzzy: {entry.msgid!r} ({where})")
        elif not entry.translated():
            found.append(f"untranslated: {entry.msgid!r} ({where})")
        else:
            expected = sorted(set(PLACEHOLDER.findall(entry.msgid)))
            translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
            for text in translations:
                if sorted(set(PLACEHOLDER.findall(text))) != expected:
                    found.append(f"placeholders differ: {entry.msgid!r} -> {text!r}")
    if "INTEGER" in po.metadata.get("Plural-Forms", "INTEGER"):
        found.append("the Plural-Forms header is missing or still the template's")
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        found.append(f"no {mo_path.name}: run python scripts/catalogues.py compile")
    elif mo_path.read_bytes() != compiled(po_path):
        found.append(f"{mo_path.name} is stale: run python scripts/catalogues.py compile")
    return found


def compile_all() -> int:
    for po_path in po_files():
        mo_path = po_path.with_suffix(".mo")
        data = compiled(po_path)
        if not mo_path.exists() or mo_path.read_bytes() != data:
            mo_path.write_bytes(data)
            print(f"compiled {mo_path.relative_to(ROOT)}")
    return 0


def check_all() -> int:
    failed = 0
    for po_path in po_files():
        for problem in problems(po_path):
            print(f"{po_path.relative_to(ROOT)}: {problem}")
            failed += 1
    print(f"{len(po_files())} catalogues, {failed} problems")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    commands = {"compile": compile_all, "check": check_all}
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
