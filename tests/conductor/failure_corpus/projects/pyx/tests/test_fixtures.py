import pytest


@pytest.fixture
def resource():
    yield 1
    raise RuntimeError("cleanup failed")  # BUG:teardown


def test_uses_resource(resource):
    assert resource == 1
