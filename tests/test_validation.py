import datetime as dt
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from coop.forms import INT_MAX, decimal_number, half_width, optional_date, whole_number
from coop.validation import Msg, clean_text


def test_clean_text_strips_and_folds_full_width_spaces():
    errors = {}
    assert (
        clean_text(errors, "name", "  蔡家寺村\u3000 合作社 ", max_length=20) == "蔡家寺村 合作社"
    )
    assert errors == {}


def test_clean_text_rejects_whitespace_only():
    errors = {}
    clean_text(errors, "name", " \t\u3000", max_length=20)
    assert errors == {"name": Msg("This field is required.")}


def test_clean_text_rejects_control_characters():
    errors = {}
    clean_text(errors, "name", "蔡家\u200b寺村", max_length=20)
    assert errors == {"name": Msg("Remove the invisible control characters.")}


def test_clean_text_rejects_overlong():
    errors = {}
    clean_text(errors, "name", "村" * 101, max_length=100)
    assert errors == {"name": Msg("At most {max} characters.", max=100)}


# --- property-based: what the boundary parsers accept ------------------------------------


FAST = settings(max_examples=60, deadline=None)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Every decimal digit that is neither ASCII nor full-width: NKo, Devanagari, Arabic-Indic, …
OTHER_DIGITS = st.characters(categories=["Nd"]).filter(lambda ch: not "0" <= half_width(ch) <= "9")


@FAST
@given(st.integers(min_value=0, max_value=INT_MAX))
def test_whole_number_reads_ascii_and_full_width_digits_alike(number):
    assert whole_number(str(number)) == number
    assert whole_number(str(number).translate(FULL_WIDTH)) == number


@FAST
@given(st.integers(min_value=INT_MAX + 1, max_value=10**12))
def test_whole_number_refuses_numbers_no_row_id_can_be(number):
    assert whole_number(str(number)) is None


@FAST
@given(st.integers(min_value=0, max_value=10**9), st.data())
def test_whole_number_refuses_any_other_scripts_digit(number, data):
    text = str(number)
    at = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    digit = data.draw(OTHER_DIGITS)
    assert whole_number(text[:at] + digit + text[at + 1 :]) is None


@FAST
@given(st.text(max_size=12))
def test_whole_number_gives_a_database_integer_or_nothing(text):
    number = whole_number(text)
    assert number is None or 0 <= number <= INT_MAX


@FAST
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 1, 1)))
def test_dates_read_back_in_ascii_and_full_width(day):
    errors = {}
    typed = day.isoformat()
    assert optional_date(errors, "on", typed) == day
    assert optional_date(errors, "on", typed.translate(FULL_WIDTH)) == day
    assert errors == {}


@FAST
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 1, 1)), OTHER_DIGITS)
def test_dates_with_another_scripts_digit_are_refused(day, digit):
    errors = {}
    assert optional_date(errors, "on", digit + day.isoformat()[1:]) is None
    assert errors == {"on": Msg("Enter a date like 2022-06-30.")}


@FAST
@given(st.text(max_size=40))
def test_clean_text_returns_no_control_character_without_an_error(value):
    errors = {}
    text = clean_text(errors, "name", value, max_length=20, required=False)
    has_control = any(unicodedata.category(ch).startswith("C") for ch in text)
    assert has_control == (errors.get("name") == Msg("Remove the invisible control characters."))
    if not errors:
        assert len(text) <= 20 and text == text.strip()


@FAST
@given(st.text(min_size=1, max_size=10), st.characters(categories=["Cc"]))
def test_clean_text_refuses_nul_and_other_c0_controls(value, control):
    if control.isspace():  # tabs and line breaks fold to spaces on one line
        return
    errors = {}
    clean_text(errors, "name", "李" + value + control + "四", max_length=40)
    assert errors == {"name": Msg("Remove the invisible control characters.")}


def test_clean_text_refuses_a_nul_byte():
    errors = {}
    clean_text(errors, "reason", "外出\x00务工", max_length=200, required=False)
    assert errors == {"reason": Msg("Remove the invisible control characters.")}


@FAST
@given(st.decimals(min_value=-(10**6), max_value=10**6, places=2))
def test_decimal_number_reads_ascii_and_full_width_alike(number):
    typed = f"{number:f}"
    assert decimal_number(typed) == number
    assert decimal_number(typed.translate(FULL_WIDTH)) == number


@FAST
@given(st.decimals(min_value=0, max_value=10**6, places=2), OTHER_DIGITS)
def test_decimal_number_refuses_any_other_scripts_digit(number, digit):
    assert decimal_number(digit + f"{number:f}") is None


def test_decimal_number_refuses_exponents_underscores_and_infinity():
    assert [decimal_number(t) for t in ("1e3", "1_000", "Infinity", "NaN", "", ".")] == [None] * 6
