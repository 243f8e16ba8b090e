"""The ACFTU member real-name system's own lists (中华全国总工会 会员实名制数据标准):
就业状况 1–9, 技术等级 1–5, 是否农民工."""

from coop.codes import CodeList
from coop.validation import Msg

EMPLOYMENT_STATUS = CodeList(
    "ACFTU 就业状况",
    labels={
        "1": Msg("In work"),
        "2": Msg("Laid off, awaiting a post"),
        "3": Msg("Unemployed"),
        "4": Msg("Retired"),
        "5": Msg("Retired (veteran cadre)"),
        "6": Msg("Resigned on health grounds"),
        "7": Msg("Early internal retirement"),
        "8": Msg("On sick leave"),
        "9": Msg("Other employment status"),
    },
    names={
        "1": "在岗",
        "2": "待（下）岗",
        "3": "失业",
        "4": "退休",
        "5": "离休",
        "6": "退职",
        "7": "退养（内退）",
        "8": "病休",
        "9": "其他",
    },
    aliases={"待岗": "2", "下岗": "2", "退养": "7", "内退": "7", "在职": "1"},
)

SKILL_LEVEL = CodeList(
    "ACFTU 技术等级",
    labels={
        "1": Msg("Level 1 / senior technician"),
        "2": Msg("Level 2 / technician"),
        "3": Msg("Level 3 / senior worker"),
        "4": Msg("Level 4 / intermediate worker"),
        "5": Msg("Level 5 / junior worker"),
    },
    names={
        "1": "一级/高级技师",
        "2": "二级/技师",
        "3": "三级/高级工",
        "4": "四级/中级工",
        "5": "五级/初级工",
    },
    aliases={
        "一级": "1",
        "高级技师": "1",
        "二级": "2",
        "技师": "2",
        "三级": "3",
        "高级工": "3",
        "四级": "4",
        "中级工": "4",
        "五级": "5",
        "初级工": "5",
    },
)

MIGRANT_WORKER = CodeList(
    "ACFTU 是否农民工",
    labels={"1": Msg("Yes"), "0": Msg("No")},
    names={"1": "是", "0": "否"},
    aliases={"y": "1", "yes": "1", "true": "1", "n": "0", "no": "0", "false": "0", "2": "0"},
)
