def test_broken():
    value = (1,
    assert value  # BUG:syntax
