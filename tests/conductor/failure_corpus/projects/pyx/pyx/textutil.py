def shout(text: str) -> str:
    """Upper-case and exclaim.

    >>> shout("hi")
    'HI!'
    >>> shout("")  # BUG:doctest
    ''
    """
    return text.upper() + "!"
