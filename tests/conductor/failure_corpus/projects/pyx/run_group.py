from pyx.groups import check

check([1, -2, -3])
