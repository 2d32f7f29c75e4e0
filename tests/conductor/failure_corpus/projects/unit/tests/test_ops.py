import unittest

from calc.ops import add, divide


class OpsTest(unittest.TestCase):
    def test_add(self):
        self.assertEqual(add(2, 3), 5)  # BUG:unit-assert

    def test_divide(self):
        self.assertEqual(divide(1, 0), 0)

    def test_ok(self):
        self.assertTrue(True)
