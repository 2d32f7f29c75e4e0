import unittest

from calc import report


class ReportTest(unittest.TestCase):
    def test_headline(self):
        self.assertEqual(report.headline([1, 2, 3]), "3 values, mean 2.00")

    def test_describe(self):
        self.assertEqual(report.describe([1, 2, 3, 10]), "4 values, mean 4.00, median 2.50")
