import asyncio


async def slow() -> None:
    await asyncio.sleep(5)  # BUG:timeout


async def fetch_all() -> list[int]:
    await asyncio.wait_for(slow(), timeout=0.05)
    return []
