class ConfigError(Exception):
    pass


def port(config: dict[str, str]) -> int:
    try:
        return int(config["port"])  # BUG:cfg-inner
    except KeyError as error:
        raise ConfigError("no port") from error
