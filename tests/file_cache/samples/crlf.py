def f(a,
      b):
    return a

class C:
    x = 1
