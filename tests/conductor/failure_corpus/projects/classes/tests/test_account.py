import pytest

from bank.account import Account


class TestAccount:
    def test_withdraw_too_much(self):
        Account(10).withdraw(20)

    def test_interest(self):
        assert Account(100).interest(0.015) == 1.5  # BUG:class-assert

    @pytest.mark.parametrize("amount", [5, 50])
    def test_withdraw(self, amount):
        account = Account(20)
        account.withdraw(amount)
        assert account.balance == 20 - amount
