from file_cache.highlight import highlight, highlight_file


def test_lines_keep_their_text_and_get_styles():
    source = ('@dataclass\nclass A(Base):\n    """Doc é\n    more"""\n'
              '    def f(self, y=None):  # note\n        return len(f"{y}") + 1\n')
    lines = highlight(source)
    assert ["".join(text for text, _ in line) for line in lines] == source.splitlines()
    assert lines[0] == [("@dataclass", "decorator")]
    # whitespace has no colour: it joins the piece before it (or after it at the start of a line)
    assert lines[1][:2] == [("class ", "keyword"), ("A", "type")]
    assert lines[2] == [('    """Doc é', "string")]  # a multi-line string, non-ASCII
    assert lines[3] == [("    more\"\"\"", "string")]
    assert ("f", "function") in lines[4] and ("self", "self") in lines[4] and ("None", "constant") in lines[4]
    assert lines[4][-1] == ("# note", "comment")
    assert ('f"{y}"', "string") in lines[5]  # the interpolation stays inside its string
    assert ("len", "builtin") in lines[5] and ("1", "number") in lines[5]


def test_text_that_is_not_python_is_kept_whole():
    lines = highlight("just some words\n  and more (unbalanced\n")
    assert ["".join(text for text, _ in line) for line in lines] == ["just some words", "  and more (unbalanced"]
    assert highlight("") == []


def test_a_file_that_is_not_python_is_not_coloured_as_python():
    assert highlight_file("notes.md", "if you import this\n") == [[("if you import this", None)]]
    assert highlight_file("a.py", "import this\n") == [[("import", "keyword"), (" this", None)]]
