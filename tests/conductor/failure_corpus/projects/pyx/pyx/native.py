import os
import signal


def peek(address: int) -> bytes:
    os.kill(os.getpid(), signal.SIGSEGV)  # BUG:segfault
    return bytes(address)
