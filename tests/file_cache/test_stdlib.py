"""The issue's acceptance over this machine's whole standard library (timings live in benchmarks/)."""

import pytest

from benchmarks.stdlib_views import StdlibReport, check_views, stdlib_files, third_party_files

pytestmark = pytest.mark.slow  # the whole standard library: `scripts/test --quick` leaves it out


def assert_every_view_kept(report: StdlibReport) -> None:
    assert report.invalid_skeletons == []
    assert report.invalid_curated == []
    assert report.lost_signatures == []
    assert report.lost_fields == []
    assert report.misnumbered == []


def test_every_stdlib_file_gets_valid_views_with_every_signature():
    files = stdlib_files()
    assert len(files) > 1000
    report = check_views(files)
    assert_every_view_kept(report)
    assert report.median_skeleton_ratio <= 0.10


def test_every_third_party_file_gets_valid_views_with_every_signature():
    """Code no one here wrote: pydantic, the SDKs, mcp, pytest, pygments, ... as installed."""
    files = third_party_files()
    assert len(files) > 3000
    assert_every_view_kept(check_views(files))
