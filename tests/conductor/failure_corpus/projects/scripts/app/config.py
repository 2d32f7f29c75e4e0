import json


def load(text: str) -> dict:
    return json.loads(text)


def port(text: str) -> int:
    try:
        return int(load(text)["port"])  # BUG:chained-inner
    except KeyError as error:
        raise ValueError("config has no port") from error  # BUG:chained-outer
