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


@pytest.fixture(autouse=True)
def private_temp_folder(tmp_path_factory, monkeypatch):
    """Subprocesses (`conductor run --demo`, the window) make their temporary folders inside the test's own, so
    the suite leaves no `conductor-demo-*` folder behind."""
    folder = tmp_path_factory.mktemp("tmp")
    monkeypatch.setenv("TMPDIR", str(folder))


@pytest.fixture(autouse=True)
def private_config_folder(tmp_path_factory, monkeypatch):
    """The user's config folder (trusted projects, layout, user credentials) and cache folder (views) are the
    test's own, inherited by the subprocesses it starts: no test reads or records the developer's trust, and no
    view cached by another test serves this one."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
