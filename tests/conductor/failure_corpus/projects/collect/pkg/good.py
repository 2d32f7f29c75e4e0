def one() -> int:
    return 1
