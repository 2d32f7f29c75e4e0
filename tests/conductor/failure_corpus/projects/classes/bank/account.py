class InsufficientFunds(Exception):
    pass


class Account:
    def __init__(self, balance: float) -> None:
        self.balance = balance

    def withdraw(self, amount: float) -> None:
        if amount > self.balance:
            raise InsufficientFunds(f"balance {self.balance} < {amount}")  # BUG:raise
        self.balance -= amount

    def interest(self, rate: float) -> float:
        return round(self.balance * rate)  # BUG:round
