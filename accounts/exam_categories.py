"""The national table of exam categories (报考类别). Used by the data migration (so every
installation has it) and by seed_demo.

The codes 110–142 and 210–242 are the published ones. For the 民族医 categories, 乡村全科 and
the 师承/确有专长 categories we follow the same scheme (1xx 执业医师, 2xx 执业助理医师; 15x/25x
民族医 in the order 蒙 藏 维 傣 朝 壮 哈萨克; 260 乡村全科; 143/243 师承或确有专长). If the
registration system sends other codes, an operator adds them in the admin; the table is never
edited by this file once installed (the migration only adds missing codes, and the later one
only fills an empty English name).

The English names are data, on the row (ExamCategory.name_en), not catalogue entries: an
operator adds codes and may rename one, and a catalogue would translate only the shipped
spellings (silently none after a rename); on the row the English is edited beside the
Chinese, like a material category's."""

EXAM_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("110", "临床执业医师"),
    ("120", "口腔执业医师"),
    ("130", "公共卫生执业医师"),
    ("141", "中医执业医师"),
    ("142", "中西医结合执业医师"),
    ("143", "中医执业医师（师承或确有专长）"),
    ("151", "蒙医执业医师"),
    ("152", "藏医执业医师"),
    ("153", "维医执业医师"),
    ("154", "傣医执业医师"),
    ("155", "朝医执业医师"),
    ("156", "壮医执业医师"),
    ("157", "哈萨克医执业医师"),
    ("210", "临床执业助理医师"),
    ("220", "口腔执业助理医师"),
    ("230", "公共卫生执业助理医师"),
    ("241", "中医执业助理医师"),
    ("242", "中西医结合执业助理医师"),
    ("243", "中医执业助理医师（师承或确有专长）"),
    ("251", "蒙医执业助理医师"),
    ("252", "藏医执业助理医师"),
    ("253", "维医执业助理医师"),
    ("254", "傣医执业助理医师"),
    ("255", "朝医执业助理医师"),
    ("256", "壮医执业助理医师"),
    ("257", "哈萨克医执业助理医师"),
    ("260", "乡村全科执业助理医师"),
)


# The English names of the shipped categories, shown to readers who chose English
# (ExamCategory.name_en; operators may change them in the admin).
EXAM_CATEGORIES_EN: dict[str, str] = {
    "110": "Licensed Physician (Clinical Medicine)",
    "120": "Licensed Physician (Dentistry)",
    "130": "Licensed Physician (Public Health)",
    "141": "Licensed Physician (Traditional Chinese Medicine)",
    "142": "Licensed Physician (Integrated Chinese and Western Medicine)",
    "143": "Licensed Physician (Traditional Chinese Medicine, Apprenticeship or Proven Expertise)",
    "151": "Licensed Physician (Mongolian Medicine)",
    "152": "Licensed Physician (Tibetan Medicine)",
    "153": "Licensed Physician (Uyghur Medicine)",
    "154": "Licensed Physician (Dai Medicine)",
    "155": "Licensed Physician (Korean Ethnic Medicine)",
    "156": "Licensed Physician (Zhuang Medicine)",
    "157": "Licensed Physician (Kazakh Medicine)",
    "210": "Licensed Assistant Physician (Clinical Medicine)",
    "220": "Licensed Assistant Physician (Dentistry)",
    "230": "Licensed Assistant Physician (Public Health)",
    "241": "Licensed Assistant Physician (Traditional Chinese Medicine)",
    "242": "Licensed Assistant Physician (Integrated Chinese and Western Medicine)",
    "243": (
        "Licensed Assistant Physician (Traditional Chinese Medicine, "
        "Apprenticeship or Proven Expertise)"
    ),
    "251": "Licensed Assistant Physician (Mongolian Medicine)",
    "252": "Licensed Assistant Physician (Tibetan Medicine)",
    "253": "Licensed Assistant Physician (Uyghur Medicine)",
    "254": "Licensed Assistant Physician (Dai Medicine)",
    "255": "Licensed Assistant Physician (Korean Ethnic Medicine)",
    "256": "Licensed Assistant Physician (Zhuang Medicine)",
    "257": "Licensed Assistant Physician (Kazakh Medicine)",
    "260": "Licensed Assistant Physician (Rural General Practice)",
}


def install_exam_categories(exam_category_model) -> int:
    """Adds the codes that are missing; never renames what an operator changed. Returns how
    many were added. Takes the model so that migrations can pass their historical one."""
    existing = set(exam_category_model.objects.values_list("code", flat=True))
    missing = [
        exam_category_model(code=code, name=name)
        for code, name in EXAM_CATEGORIES
        if code not in existing
    ]
    exam_category_model.objects.bulk_create(missing)
    return len(missing)


def name_exam_categories_in_english(exam_category_model) -> int:
    """Gives the shipped categories their English name where none was written and the
    Chinese one is still the shipped one (a category an operator renamed is left to them).
    Returns how many were named. Takes the model as install_exam_categories does (the
    migration that added the field passes its historical one)."""
    shipped = dict(EXAM_CATEGORIES)
    named = 0
    for row in exam_category_model.objects.filter(name_en="", code__in=EXAM_CATEGORIES_EN):
        if row.name == shipped.get(row.code):
            row.name_en = EXAM_CATEGORIES_EN[row.code]
            row.save(update_fields=["name_en"])
            named += 1
    return named
