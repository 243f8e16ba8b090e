"""Each code list against its standard's published values: count, codes, names, no
duplicates; and lookup by code, label or alias."""

import pytest

from coop.codes import CodeList, _key
from coop.codes.acftu_member_codes import EMPLOYMENT_STATUS, MIGRANT_WORKER, SKILL_LEVEL
from coop.codes.gb_t_2260 import region_code, region_name
from coop.codes.gb_t_2261_1_2003 import SEX
from coop.codes.gb_t_4658_2006 import EDUCATION
from coop.codes.gb_t_4762_1984 import POLITICAL_STATUS
from coop.codes.poverty_status import POVERTY_STATUS

PUBLISHED = [
    (
        EDUCATION,
        {
            "10": "研究生",
            "20": "大学本科",
            "30": "大学专科",
            "40": "中等职业教育",
            "60": "普通高中",
            "70": "初中",
            "80": "小学",
            "90": "其他",
        },
    ),
    (
        POLITICAL_STATUS,
        {
            "01": "中共党员",
            "02": "中共预备党员",
            "03": "共青团员",
            "04": "民革党员",
            "05": "民盟盟员",
            "06": "民建会员",
            "07": "民进会员",
            "08": "农工党党员",
            "09": "致公党党员",
            "10": "九三学社社员",
            "11": "台盟盟员",
            "12": "无党派人士",
            "13": "群众",
        },
    ),
    (SEX, {"1": "男", "2": "女"}),
    (
        EMPLOYMENT_STATUS,
        {
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
    ),
    (
        SKILL_LEVEL,
        {
            "1": "一级/高级技师",
            "2": "二级/技师",
            "3": "三级/高级工",
            "4": "四级/中级工",
            "5": "五级/初级工",
        },
    ),
    (MIGRANT_WORKER, {"1": "是", "0": "否"}),
    (POVERTY_STATUS, {"lifted": "脱贫户", "monitored": "监测户", "ordinary": "一般"}),
]


@pytest.mark.parametrize(
    ("codes", "published"), PUBLISHED, ids=lambda v: getattr(v, "standard", "")
)
def test_code_list_matches_its_standard(codes: CodeList, published: dict):
    assert codes.names == published
    assert list(codes.labels) == list(published)
    assert len({label.text for label in codes.labels.values()}) == len(published)


@pytest.mark.parametrize(
    ("codes", "published"), PUBLISHED, ids=lambda v: getattr(v, "standard", "")
)
def test_no_alias_names_two_codes(codes: CodeList, published: dict):
    names = [_key(n) for n in codes.names.values()] + [_key(m.text) for m in codes.labels.values()]
    for alias, code in codes.aliases.items():
        assert code in codes.labels
        assert _key(alias) not in [_key(n) for c, n in codes.names.items() if c != code]
    for code, name in codes.names.items():
        assert codes.lookup(name) == code
        assert codes.lookup(codes.labels[code].text) == code
        assert codes.lookup(code) == code
    assert len(set(names)) == len(names)


def test_education_takes_code_name_alias_and_finer_code():
    assert [EDUCATION.lookup(v) for v in ("20", "大学本科", "本科", "21", "４１", "高 中")] == [
        "20",
        "20",
        "20",
        "20",
        "40",
        "60",
    ]


def test_lookup_refuses_unknown_values():
    assert EDUCATION.lookup("50") is None
    assert POLITICAL_STATUS.lookup("14") is None
    assert SEX.lookup("") is None


def test_political_status_accepts_code_without_leading_zero():
    assert POLITICAL_STATUS.lookup("1") == "01"
    assert POLITICAL_STATUS.lookup("13") == "13"


def test_employment_status_accepts_ascii_and_full_width_brackets():
    assert EMPLOYMENT_STATUS.lookup("待(下)岗") == "2"
    assert EMPLOYMENT_STATUS.lookup("退养（内退）") == "7"


def test_allowed_lists_codes_and_names():
    assert SEX.allowed() == "1 男, 2 女"


def test_region_names_from_the_stdnum_table():
    assert region_name("500113") == "重庆市巴南区"
    assert region_name("999999") == ""
    assert region_code("５００１１３") == "500113"
    assert region_code("50011") is None
