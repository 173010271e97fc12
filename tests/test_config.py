import pytest

from medrestore.config import as_flag


@pytest.mark.parametrize("value", [True, "true", "True", "YES", "1", 1, "on"])
def test_true_values(value):
    assert as_flag(value) is True


@pytest.mark.parametrize("value", [False, "false", "False", "no", "0", 0, "off", None, ""])
def test_false_values_are_false(value):  # fire hands "--overwrite false" over as the string "false"
    assert as_flag(value) is False


def test_anything_else_is_refused_with_the_option_name():
    with pytest.raises(ValueError, match="--overwrite must be true or false, got 'maybe'"):
        as_flag("maybe", "overwrite")
