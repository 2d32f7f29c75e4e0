# -*- coding: latin-1 -*-
def café_name():
    return "é"
