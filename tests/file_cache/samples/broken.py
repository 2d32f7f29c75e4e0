import os

def good(a: int) -> int:
    return a

def broken(x, y:
    return x

class Fine:
    def method(self): return 1
