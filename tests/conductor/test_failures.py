"""Failure records on the corpus of real outputs: every stated fact found, none misattributed."""

from __future__ import annotations

import pytest

from conductor.failures import group_causes, parse_failures
from tests.conductor.corpus import cases, materialise, score, tool_of

CASES = cases()


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 80
    assert len({tool_of(case) for case in CASES}) >= 25
    assert len([case for case in CASES if case.get("third_party")]) >= 2


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


def report_of(name, tmp_path, model=None):
    from conductor.shell import ShellResult
    from conductor.tier4 import Tier4Summariser
    from file_cache import FileCache

    case = next(c for c in CASES if c["name"] == name)
    root, output = materialise(case, tmp_path)
    summariser = Tier4Summariser(root, FileCache(root), model)
    return summariser, summariser.report(ShellResult(case["command"], case["exit_code"], output, "", 0.1), "out-1")


def test_causes_come_before_symptoms_in_a_real_suite(tmp_path):
    """more-itertools with two bugs injected: 48 failures from 1,890 lines; both causes are named first."""
    _, report = report_of("more-itertools", tmp_path)
    lines = report.text.splitlines()
    assert lines[2] == "48 failures, 6 causes:"
    assert lines[3].startswith("- ValueError: Stop argument for islice() must be None or an integer")
    assert "at more_itertools/recipes.py:126 in take" in lines[3] and "(40 tests: " in lines[3]
    assert "at more_itertools/more.py:294 in last" in lines[4]
    assert len(report.text) < 1000


def test_tier4_reads_the_raw_lines_when_the_records_miss_some(tmp_path):
    from conductor.providers.scripted import Script, ScriptedModel

    script = Script.model_validate({"tier4": [{"text": "fetch_all times out in pyx/netx.py"},
                                              {"text": "tests/test_settings.py fails as well: read its section"}]})
    model = ScriptedModel(script, tier="tier4")
    summariser, report = report_of("pytest-kinds", tmp_path, model)
    assert report.excerpt is None  # six records, six stated: complete, no raw lines
    case = next(c for c in CASES if c["name"] == "pytest-kinds")
    output = case["output"]
    section = output.index("_ test_port _")
    section = output.rindex("\n", 0, section)
    cut = output[:section] + output[output.index("\n=", section):]  # test_port's section and summary line gone
    cut = "\n".join(line for line in cut.splitlines() if "::test_port" not in line)
    root, _ = materialise(case, tmp_path)
    from conductor.shell import ShellResult

    incomplete = summariser.report(ShellResult("pytest", 1, cut.replace("{ROOT}", str(root)), "", 0.1), None)
    assert "the output states 6 failures; 5 were read" in incomplete.text
    complete, partial = (request["messages"][0].text for request in model.requests)
    assert "Decisive lines" not in complete
    assert "Decisive lines of the output (the parser did not read all of it):" in partial
    assert incomplete.hint_source == "tier4"  # it names a file the records lack but the output holds


def test_a_tier4_hint_is_kept_when_the_output_holds_what_it_names_and_dropped_when_it_mispairs(tmp_path):
    from conductor.providers.scripted import Script, ScriptedModel

    script = Script.model_validate({"tier4": [
        {"text": "KeyError at shop/stats.py:2 breaks test_report_empty; see tests/conftest.py too."},
        {"text": "ZeroDivisionError at shop/stats.py:2: report([]) divides by zero; guard the empty list "
                 "(the session header says rootdir)."},
    ]})
    summariser, first = report_of("pytest-short", tmp_path, ScriptedModel(script, tier="tier4"))
    assert first.hint_source == "deterministic"
    assert summariser.failures == ["the Tier 4 hint paired KeyError with shop/stats.py:2, which the failures do not; "
                                   "dropped"]
    second = summariser.report(summariser_result(tmp_path), None)
    assert second.hint_source == "tier4"


def summariser_result(tmp_path):
    from conductor.shell import ShellResult

    case = next(c for c in CASES if c["name"] == "pytest-short")
    _, output = materialise(case, tmp_path)
    return ShellResult(case["command"], 1, output, "", 0.1)
