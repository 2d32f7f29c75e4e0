from shop.stats import report


def test_report_empty():
    assert report([]) == "mean 0.00"


def test_uses_database(broken_fixture):
    assert broken_fixture
