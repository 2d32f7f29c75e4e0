def check(values: list[int]) -> None:
    errors = []
    for value in values:
        try:
            validate(value)
        except ValueError as error:
            errors.append(error)
    if errors:
        raise ExceptionGroup("invalid values", errors)  # BUG:group


def validate(value: int) -> None:
    if value < 0:
        raise ValueError(f"negative: {value}")  # BUG:validate
