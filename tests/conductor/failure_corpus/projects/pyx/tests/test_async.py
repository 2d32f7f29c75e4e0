import asyncio

from pyx.netx import fetch_all


def test_fetch_times_out():
    assert asyncio.run(fetch_all()) == []
