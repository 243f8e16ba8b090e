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
