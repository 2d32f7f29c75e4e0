"""View-state helpers without a window: the file tree, elided labels, calls in words."""

from gui.state import TreeNode, describe_call, elide_middle, file_tree


def test_the_file_tree_nests_folders_first_and_joins_single_folder_chains():
    tree = file_tree([".github/workflows/a.yml", ".github/workflows/b.yml", "calc/x/y.py", "calc/stats.py",
                      "README.md"])
    assert [(node.name, node.is_folder) for node in tree] == [(".github/workflows", True), ("calc", True),
                                                               ("README.md", False)]
    assert [child.path for child in tree[0].children] == [".github/workflows/a.yml", ".github/workflows/b.yml"]
    assert tree[1].children == (TreeNode("x", "calc/x", (TreeNode("y.py", "calc/x/y.py"),), is_folder=True),
                                TreeNode("stats.py", "calc/stats.py"))


def test_labels_are_elided_in_the_middle():
    assert elide_middle("src/package/module/deep/file.py", 15) == "src/pac…file.py"
    assert elide_middle("short.py", 15) == "short.py"
    assert len(elide_middle("x" * 100, 21)) == 21


def test_calls_are_described_in_words():
    assert describe_call("edit_file", {"path": "a.py", "old_text": "x\n", "new_text": "x\ny\nz\n"}) == (
        "edit_file a.py: 1 lines -> 3 lines")
    assert describe_call("run_shell", {"command": "pytest -q"}) == "run_shell $ pytest -q"
    assert describe_call("read_file", {"path": "a.py", "start_line": 3}) == "read_file path=a.py, start_line=3"
