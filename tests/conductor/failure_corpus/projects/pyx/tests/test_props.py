from hypothesis import given, strategies as st

from pyx.mathx import clamp


@given(st.integers())
def test_clamp_in_range(value):
    assert 0 <= clamp(value, 0, 10) <= 10  # BUG:hypothesis
