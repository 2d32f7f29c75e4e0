import pytest

from tests.gui.xvfb import xvfb_display


@pytest.fixture
def display():
    """A private Xvfb screen for one test."""
    with xvfb_display() as env:
        yield env
