import difflib
import itertools
import random

from conductor.diffs import DiffLine, edit_with_hunks, hunks, keep_hunks, side_by_side

BEFORE = "".join(f"line {n}\n" for n in range(1, 21))
AFTER = BEFORE.replace("line 2\n", "line two\n").replace("line 15\n", "line 15\nnew line\n")


def test_hunks_number_both_sides_and_mark_the_changed_words():
    first, second = hunks(BEFORE, AFTER)
    assert [h.header for h in (first, second)] == ["@@ -1,5 +1,5 @@", "@@ -13,6 +13,7 @@"]
    assert [line for line in first.lines if line.kind != "context"] == [
        DiffLine("removed", 2, None, "line 2", ((5, 6),)), DiffLine("added", None, 2, "line two", ((5, 8),))]
    assert [(line.kind, line.old_number, line.new_number) for line in second.lines[2:5]] == [
        ("context", 15, 15), ("added", None, 16), ("context", 16, 17)]
    # the headers are the unified diff's own
    unified = [line for line in difflib.unified_diff(BEFORE.splitlines(True), AFTER.splitlines(True))
               if line.startswith("@@")]
    assert [h.header + "\n" for h in (first, second)] == unified


def test_side_by_side_pairs_removed_with_added_lines():
    [hunk] = hunks("a\nb\nc\n", "a\nB\nC\nD\nc\n")
    assert [(left and left.text, right and right.text) for left, right in side_by_side(hunk)] == [
        ("a", "a"), ("b", "B"), (None, "C"), (None, "D"), ("c", "c")]


def test_keeping_every_subset_of_hunks_is_exact():
    rng = random.Random(7)
    for _ in range(50):
        before = [f"{rng.randrange(6)}\n" for _ in range(rng.randrange(1, 40))]
        after = list(before)
        for _ in range(rng.randrange(1, 6)):
            at = rng.randrange(len(after) + 1)
            after[at:at + rng.randrange(3)] = [f"x{rng.randrange(9)}\n" for _ in range(rng.randrange(3))]
        old, new = "".join(before), "".join(after)
        count = len(hunks(old, new))
        assert keep_hunks(old, new, set(range(count))) == new
        assert keep_hunks(old, new, set()) == old
        for kept in itertools.combinations(range(count), min(count, 1)):
            partial = keep_hunks(old, new, set(kept))
            assert len(hunks(old, partial)) == len(kept)


def test_an_edit_keeps_only_its_kept_hunks():
    old_text = "".join(f"line {n}\n" for n in range(2, 16))
    new_text = old_text.replace("line 2\n", "line two\n").replace("line 15\n", "line 15\nnew line\n")
    assert edit_with_hunks(BEFORE, old_text, new_text, {0, 1}) == new_text
    assert edit_with_hunks(BEFORE, old_text, new_text, {1}) == old_text.replace("line 15\n", "line 15\nnew line\n")
    assert edit_with_hunks(BEFORE, old_text, new_text, set()) == old_text
