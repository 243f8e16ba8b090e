import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop.forms import half_width
from coop.members.domain import NAME_MAX
from coop.members.identity import (
    check_mobile,
    check_resident_id,
    make_resident_id,
    name_keys,
)
from coop.validation import Msg, clean_text

TODAY = dt.date(2026, 11, 28)


# The vectors of python-stdnum's own tests/test_cn_ric.doctest
@pytest.mark.parametrize(
    ("number", "birth_date", "place"),
    [
        ("360426199101010071", dt.date(1991, 1, 1), "江西省德安县"),
        ("44011320141005001x", dt.date(2014, 10, 5), "广东省番禺区"),
        ("412723199010050012", dt.date(1990, 10, 5), "河南省商水县"),
        ("110102199101010078", dt.date(1991, 1, 1), "北京市西城区"),
        ("120110198012010073", dt.date(1980, 12, 1), "天津市东郊区"),
        ("120110199212010072", dt.date(1992, 12, 1), "天津市东丽区"),
    ],
)
def test_valid_numbers_give_birth_date_sex_and_place(number, birth_date, place):
    checked = check_resident_id(number, TODAY)
    assert (
        checked.error,
        checked.warning,
        checked.birth_date,
        checked.birth_place,
        checked.sex,
    ) == (
        None,
        None,
        birth_date,
        place,
        "M",
    )


def test_lower_case_x_check_digit_is_accepted_and_upper_cased():
    assert check_resident_id("44011320141005001x", TODAY).number == "44011320141005001X"


def test_full_width_digits_and_spaces_pasted_from_wechat_are_accepted():
    checked = check_resident_id(" ３６０４２６ １９９１-０１０１ ００７１\u3000", TODAY)
    assert (checked.number, checked.error) == ("360426199101010071", None)


def test_even_17th_digit_is_female():
    assert check_resident_id(make_resident_id("500113", dt.date(1999, 1, 2), 2), TODAY).sex == "F"


def test_age_counts_birthdays():
    checked = check_resident_id("360426199101010071", TODAY)
    assert (checked.age_on(dt.date(2026, 12, 31)), checked.age_on(dt.date(2026, 1, 1))) == (35, 35)
    assert checked.age_on(dt.date(2025, 12, 31)) == 34


@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("", Msg("This field is required.")),
        ("36042619910101007", Msg("An ID number has 18 characters; this one has {n}.", n=17)),
        ("3604261991010100711", Msg("An ID number has 18 characters; this one has {n}.", n=19)),
        ("T60426199101010078", Msg("Only digits, with X allowed as the last character.")),
        ("36042619910101007A", Msg("Only digits, with X allowed as the last character.")),
        (
            "360426199113010079",
            Msg("The birth date in it ({date}) is impossible.", date="1991-13-01"),
        ),
        (
            "360426199102300079",
            Msg("The birth date in it ({date}) is impossible.", date="1991-02-30"),
        ),
        (
            "36042619910102009X",
            Msg("The check digit does not match: a digit is probably mistyped."),
        ),
    ],
)
def test_bad_numbers_are_rejected_with_the_exact_reason(number, error):
    assert check_resident_id(number, TODAY).error == error


def test_birth_date_in_the_future_is_impossible():
    number = make_resident_id("500113", dt.date(2027, 1, 1), 1)
    assert (
        check_resident_id(number, TODAY).error.text
        == "The birth date in it ({date}) is impossible."
    )


def test_unknown_area_code_only_warns():
    checked = check_resident_id("990426199112010074", TODAY)
    assert (checked.error, checked.warning) == (
        None,
        Msg("Area code {code} is unknown. Check the number.", code="990426"),
    )


def test_code_created_after_the_birth_year_is_normal():
    # 巴南区 has had code 500113 since 1997; people born before carry it too.
    checked = check_resident_id(make_resident_id("500113", dt.date(1975, 6, 1), 31), TODAY)
    assert (checked.error, checked.warning, checked.birth_place) == (None, None, "重庆市巴南区")


def test_retired_code_carried_from_before_its_retirement_is_accepted():
    # 巴县 (510222) was retired in 1994; people registered there keep the number.
    checked = check_resident_id(make_resident_id("510222", dt.date(1970, 2, 3), 8), TODAY)
    assert (checked.error, checked.warning, checked.birth_place) == (None, None, "四川省巴县")


def test_code_retired_before_the_birth_year_only_warns():
    checked = check_resident_id(make_resident_id("510222", dt.date(1999, 2, 3), 8), TODAY)
    assert (checked.error, checked.birth_place) == (None, "四川省巴县")
    assert checked.warning == Msg(
        "Area code {code} was retired before {year}, the year of birth. Check the number.",
        code="510222",
        year=1999,
    )


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0086-138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
    ],
)
def test_mobile_numbers_are_normalised(raw, number):
    assert check_mobile(raw) == (number, None)


@pytest.mark.parametrize("raw", ["1381234567", "138123456789", "023-66221234", "12812345678"])
def test_short_long_landline_and_bad_prefix_numbers_are_rejected(raw):
    assert check_mobile(raw)[1] == Msg("Enter an 11-digit mainland mobile number starting with 1.")


def test_name_keys_hold_pinyin_and_initials():
    assert name_keys("张三") == {"张三", "zhangsan", "zs"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("单雄信", {"shanxiongxin", "sxx", "danxiongxin", "dxx"}),
        ("曾小贤", {"zengxiaoxian", "zxx", "cengxiaoxian", "cxx"}),
        ("解晓东", {"xiexiaodong", "xxd", "jiexiaodong", "jxd"}),
    ],
)
def test_surnames_with_several_readings_get_every_reading(name, expected):
    assert expected <= name_keys(name)


def test_u_umlaut_is_searchable_as_v_and_u():
    assert {"lvxiaofeng", "luxiaofeng"} <= name_keys("吕小凤")


# --- property-based: numbers in any script but ASCII and full-width are refused ----------

FAST = settings(max_examples=60, deadline=None)
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
OTHER_DIGITS = st.characters(categories=["Nd"]).filter(lambda ch: not "0" <= half_width(ch) <= "9")
AREAS = st.sampled_from(["500113", "360426", "110102", "440113"])
BIRTHS = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2010, 12, 31))
SEQUENCES = st.integers(min_value=0, max_value=999)
HANZI = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)  # NFKC leaves them as they are


@FAST
@given(AREAS, BIRTHS, SEQUENCES)
def test_valid_resident_ids_round_trip_with_birth_date_and_sex(area, birth, sequence):
    number = make_resident_id(area, birth, sequence)
    checked = check_resident_id(number, TODAY)
    assert (checked.number, checked.error, checked.birth_date) == (number, None, birth)
    assert checked.sex == ("M" if sequence % 2 else "F")


@FAST
@given(AREAS, BIRTHS, SEQUENCES)
def test_full_width_resident_id_is_the_same_number(area, birth, sequence):
    number = make_resident_id(area, birth, sequence)
    assert check_resident_id(number.translate(FULL_WIDTH), TODAY) == check_resident_id(
        number, TODAY
    )


@FAST
@given(AREAS, BIRTHS, SEQUENCES, st.integers(min_value=0, max_value=17), OTHER_DIGITS)
def test_resident_id_with_any_other_scripts_digit_is_refused(area, birth, sequence, at, digit):
    number = make_resident_id(area, birth, sequence)
    checked = check_resident_id(number[:at] + digit + number[at + 1 :], TODAY)
    assert checked.error == Msg("Only digits, with X allowed as the last character.")


@FAST
@given(st.integers(min_value=3, max_value=9), st.integers(min_value=0, max_value=10**9 - 1))
def test_mobiles_read_alike_in_ascii_full_width_and_with_country_code(second, rest):
    number = f"1{second}{rest:09d}"
    for typed in (number, number.translate(FULL_WIDTH), f"+86 {number}", f"0086-{number}"):
        assert check_mobile(typed) == (number, None)


@FAST
@given(
    st.integers(min_value=3, max_value=9),
    st.integers(min_value=0, max_value=10**9 - 1),
    st.integers(min_value=0, max_value=10),
    OTHER_DIGITS,
)
def test_mobile_with_any_other_scripts_digit_is_refused(second, rest, at, digit):
    number = f"1{second}{rest:09d}"
    typed = number[:at] + digit + number[at + 1 :]
    assert check_mobile(typed)[1] == Msg(
        "Enter an 11-digit mainland mobile number starting with 1."
    )


@FAST
@given(st.text(max_size=60))
def test_a_mobile_is_eleven_ascii_digits_or_refused(typed):
    number, error = check_mobile(typed)
    assert error is not None or (len(number) == 11 and number.isascii() and number.isdigit())


@FAST
@given(st.text(alphabet=HANZI, min_size=1, max_size=NAME_MAX))
def test_names_within_the_limit_are_accepted(name):
    errors = {}
    clean_text(errors, "name", name, max_length=NAME_MAX)
    assert errors == {}


@FAST
@given(st.text(alphabet=HANZI, min_size=NAME_MAX + 1, max_size=NAME_MAX + 20))
def test_names_over_the_limit_are_refused(name):
    errors = {}
    clean_text(errors, "name", name, max_length=NAME_MAX)
    assert errors == {"name": Msg("At most {max} characters.", max=NAME_MAX)}


@FAST
@given(st.text(alphabet=HANZI, min_size=1, max_size=5))
def test_names_with_a_nul_byte_are_refused(name):
    errors = {}
    clean_text(errors, "name", name + "\x00", max_length=NAME_MAX)
    assert errors == {"name": Msg("Remove the invisible control characters.")}
