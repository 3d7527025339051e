"""The standard return reasons every province starts with (national rows, province=None).
Operators add their own per province in the admin."""

STANDARD_RETURN_REASONS = (
    "图片不清晰",
    "图片不完整或被裁切",
    "证件已过期",
    "材料类型不符",
    "缺少反面",
    "信息与报名信息不一致",
    "印章不符合要求",
    "缺少首次注册证明",
)
