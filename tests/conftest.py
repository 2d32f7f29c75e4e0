import pytest

from tests.fakes.http_api import FakeAPI


@pytest.fixture(scope="session")
def fake_api_server():
    server = FakeAPI()
    yield server
    server.close()


@pytest.fixture
def fake_api(fake_api_server):
    fake_api_server.reset()
    yield fake_api_server
    fake_api_server.reset()
