"""Failure records on the corpus of real outputs: every stated fact found, none misattributed."""

from __future__ import annotations

import pytest

from conductor.failures import group_causes, parse_failures
from tests.conductor.corpus import cases, materialise, score

CASES = cases()


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 30
    assert len({case["project"] for case in CASES}) >= 5


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_every_stated_fact_is_found_and_none_is_misattributed(case, tmp_path):
    root, output = materialise(case, tmp_path)
    records = parse_failures(output, root)
    result = score(case, records, output)
    assert result.problems == []
    assert result.facts > 0


def test_two_failures_are_never_mixed_in_what_the_worker_reads(tmp_path):
    from conductor.shell import ShellResult
    from conductor.tier4 import MAX_HISTORY_CHARS, Tier4Summariser
    from file_cache import FileCache

    case = next(c for c in CASES if c["name"] == "pytest-long")
    root, output = materialise(case, tmp_path)
    report = Tier4Summariser(root, FileCache(root)).report(
        ShellResult(case["command"], case["exit_code"], output, "", 0.1), "out-1-a")
    lines = report.text.splitlines()
    assert len(report.text) < MAX_HISTORY_CHARS
    assert lines[2] == "5 failures:"
    listed = [line[2:] for line in lines if line.startswith("- ")]
    assert listed == [cause.text() for cause in group_causes(report.failures)[:len(listed)]]  # whole records only
    assert listed[0].startswith("tests/test_cart.py::test_unknown_item | KeyError")  # a cause in the code first
    discount = next(f for f in report.failures if f.test == "tests/test_cart.py::test_discount")
    unknown = next(f for f in report.failures if f.test == "tests/test_cart.py::test_unknown_item")
    assert (discount.exception, discount.path, discount.line) == ("AssertionError", "tests/test_cart.py", 15)
    assert (unknown.exception, unknown.path, unknown.line) == ("KeyError", "shop/inventory.py", 5)
    assert report.hint_source == "deterministic" and report.text.count("assert 2.0 == 6.0") == 1


def test_a_tier4_hint_naming_what_the_records_do_not_hold_is_dropped(tmp_path):
    from conductor.providers.scripted import Script, ScriptedModel
    from conductor.shell import ShellResult
    from conductor.tier4 import Tier4Summariser
    from file_cache import FileCache

    case = next(c for c in CASES if c["name"] == "pytest-short")
    root, output = materialise(case, tmp_path)
    result = ShellResult(case["command"], 1, output, "", 0.1)
    script = Script.model_validate({"tier4": [
        {"text": "Fix the rate in shop/pricing.py; test_checkout fails."},
        {"text": "test_discount: discounted() multiplies by the percent (tests/test_cart.py:15); shop/inventory.py "
                 "has no sku-9."},
    ]})
    model = ScriptedModel(script, tier="tier4")
    summariser = Tier4Summariser(root, FileCache(root), model)
    first = summariser.report(result, None)
    assert first.hint_source == "deterministic"
    assert summariser.failures == ["the Tier 4 hint named shop/pricing.py, test_checkout, absent from the "
                                   "failures; dropped"]
    second = summariser.report(result, None)
    assert (second.hint_source, second.text.splitlines()[2]) == ("tier4", f"hint: {second.hint}")
    prompt = model.requests[0]["messages"][0].text
    assert "5 failures, 5 causes, as parsed from the output:" in prompt
    assert "    5> def price_of" not in prompt and "    5>     return PRICES[sku]  # BUG:keyerror" in prompt
