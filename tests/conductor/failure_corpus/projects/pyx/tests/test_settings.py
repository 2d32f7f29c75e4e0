from pyx.settings import port


def test_port():
    assert port({"host": "x"}) == 80
