import pytest

from shop.cart import Cart


def test_total():
    cart = Cart()
    cart.add("apple", 2)
    assert cart.total() == 4.0


def test_discount():
    cart = Cart()
    cart.add("apple", 4)
    assert cart.discounted(25) == 6.0  # BUG:assert


def test_unknown_item():
    cart = Cart()
    cart.add("sku-9")
    assert cart.total() == 0


@pytest.mark.parametrize("count, expected", [(1, 2.0), (3, 7.0)])
def test_scaled(count, expected):
    cart = Cart()
    cart.add("apple", count)
    assert cart.total() == expected  # BUG:param
