import pytest


@pytest.fixture
def broken_fixture():
    raise RuntimeError("database not reachable")  # BUG:fixture
