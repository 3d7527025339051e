"""Data written in two languages: a Chinese text (the source, always filled) beside an
optional English one that operators type or that ships with Yishen (material categories,
exam categories). Strings of the code are the catalogues' (gettext); these are rows."""

from django.utils import translation


def english_chosen() -> bool:
    """Whether the active language (the reader's choice) is English."""
    return (translation.get_language() or "").startswith("en")


def in_reader_language(chinese: str, english: str) -> str:
    """The text in the active language: the English when the reader chose English and an
    English text was written, else the Chinese (an untranslated row still reads)."""
    if english and english_chosen():
        return english
    return chinese
