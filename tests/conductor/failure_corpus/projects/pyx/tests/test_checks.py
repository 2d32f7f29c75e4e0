import pytest

from pyx.mathx import defaults, parse_ratio


def test_rejects_zero():
    with pytest.raises(ZeroDivisionError):  # BUG:raises
        parse_ratio("1/0")


def test_defaults():
    assert defaults() == {"debug": False, "level": 3}  # BUG:dict
