def f(:
    return 1  # BUG:script-syntax
