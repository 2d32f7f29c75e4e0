from pkg.missing import thing  # BUG:import


def test_thing():
    assert thing
