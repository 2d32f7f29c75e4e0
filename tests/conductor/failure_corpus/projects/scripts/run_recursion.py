def down(n):
    return down(n + 1)  # BUG:recursion


down(0)
