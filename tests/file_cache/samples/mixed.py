"""Module doc."""
import os
from typing import overload  # why

# Block comment about X
X = 1
BIG = {
  1: 2,
  3: 4,
  5: 6,
}

class A(Base, metaclass=Meta):  # trailing
    # inside class
    """Class doc."""
    field: int = 3

    @property
    def p(self) -> int:
        """Prop doc."""
        return 1

    async def g(self, a, /, b: int = 3, *args, c: "str" = "x", **kw) -> dict[str, int]:
        return {}

    class Inner:
        def deep(self): return 2

@core_logic
def important(x):
    y = x + 1
    return y

def hot():
    # [HOT]
    return 42

def doc_one_line(): "doc"; return 1

if TYPE_CHECKING:
    def only_typing(a: int) -> None: ...
else:
    X = 2

try:
    from fast import thing
except ImportError:
    def thing(x,  # comment in signature
              y=(1,
                 2)):
        return x
