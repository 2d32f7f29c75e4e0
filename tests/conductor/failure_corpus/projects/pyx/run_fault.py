import faulthandler

faulthandler.enable()
from pyx.native import peek

peek(0)
