from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from review import chain
from review.selectors import audit_chain_walk


class Command(BaseCommand):
    help = (
        "从第一条到链头逐条核对审核记录的哈希链，报告第一处断链（被改动、删除或插入的记录）。"
        "链完整时退出码为 0，并打印末条哈希（可另行保存，供日后比对）。"
    )

    def handle(self, *args, **options):
        walk = audit_chain_walk()
        broken = walk.broken
        if broken is None:
            self.stdout.write(
                _("审核记录链完整：共 %(n)s 条，末条哈希 %(hash)s。")
                % {"n": walk.rows, "hash": walk.last_hash}
            )
            return
        if broken.reason == chain.PREV:
            message = _(
                "断链：记录 #%(id)s 所记的上一条哈希与其前一条记录不符"
                "（其前有记录被删除、插入或改动）。"
            )
        elif broken.reason == chain.CONTENT:
            message = _("断链：记录 #%(id)s 的内容与其哈希不符（该记录被改动）。")
        else:
            message = _(
                "断链：链头所记的末条哈希与最后一条记录不符（最后的记录被删除或链头被改动）。"
            )
        raise CommandError(
            message % {"id": broken.row_id}
            + " "
            + _("此前 %(n)s 条完好。") % {"n": walk.rows - 1 if broken.row_id else walk.rows}
        )
