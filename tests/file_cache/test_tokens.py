from file_cache import estimate_tokens


def test_estimate_counts_words_punctuation_and_line_breaks():
    assert estimate_tokens("") == 0
    assert estimate_tokens("def f(a):") == 5  # def, f, (, a, ):  -- BPE merges `):`
    assert estimate_tokens("x = 1\n    y = 2") == 7
    # long identifiers cost more than short ones, as with BPE tokenizers
    assert estimate_tokens("a_very_long_identifier_name") == 3
    assert estimate_tokens("1234567") == 3
    assert estimate_tokens("def f(self) -> None: ...") == 9  # `->` and `...` count one each, as BPE merges them
    assert estimate_tokens("import os.path") == 3  # `.path` is one piece
