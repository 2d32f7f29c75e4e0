from django.test import SimpleTestCase

from shopapp.pricing import label, total


class PricingTests(SimpleTestCase):
    def test_total(self):
        self.assertAlmostEqual(total([10.0, 20.0], 0.2), 36.0)  # BUG:django-assert

    def test_label(self):
        self.assertEqual(label(3), "3.00 EUR")  # BUG:django-label
