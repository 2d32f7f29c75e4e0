from typing import overload


class Parser:
    @overload
    def parse(self, data: str) -> str: ...
    @overload
    def parse(self, data: bytes) -> bytes: ...
    def parse(self, data):
        """Parse it."""
        return data

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def cached(key: str, /, *, default: "int | None" = None) -> "int | None":
        return default
