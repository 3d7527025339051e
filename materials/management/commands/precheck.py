"""manage.py precheck FILE [FILE …] [--name NAME] [--id-no NUMBER]

The machine pre-check of photo files, as the `precheck` worker runs it, one JSON object per
file on its own line: an operator's tool, and the interface for checking accuracy on a set
of images. Reads an ID card (number and name) unless --read says otherwise; writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from materials.precheck import reading


class Command(BaseCommand):
    help = "机器预审：识别照片中的证件号码与姓名、检查照片质量，每个文件输出一行 JSON。"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="照片文件")
        parser.add_argument("--name", default="", help="报名姓名（比对用）")
        parser.add_argument("--id-no", default="", help="报名证件号码（比对用）")
        parser.add_argument(
            "--read",
            choices=[reading.ID_CARD, reading.NAME, reading.NONE],
            default=reading.ID_CARD,
            help="识别内容：id_card（身份证号码与姓名，默认）、name（查找姓名）、none（只查质量）",
        )

    def handle(self, *args, files, name, id_no, read, **options):
        for file in files:
            path = Path(file)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"无法读取文件 {file}：{exc.strerror}") from exc
            try:
                result = reading.check(data, kind=read, name=name, id_no=id_no)
            except (OSError, ValueError) as exc:  # not an image Pillow can decode
                self.stdout.write(json.dumps({"file": file, "error": str(exc)}, ensure_ascii=False))
                continue
            self.stdout.write(
                json.dumps(
                    {
                        "file": file,
                        "id_no": result.id_no,
                        "id_no_valid": result.id_no_valid,
                        "name": result.name,
                        "matches": {"id_no": result.id_no_match, "name": result.name_match},
                        "quality": result.quality,
                        "seconds": result.seconds,
                    },
                    ensure_ascii=False,
                )
            )
