import asyncio


async def fetch(number: int) -> int:
    await asyncio.sleep(0)
    if number == 2:
        raise ConnectionError(f"host {number} unreachable")  # BUG:task
    return number


async def main() -> None:
    async with asyncio.TaskGroup() as group:
        for number in range(3):
            group.create_task(fetch(number))
