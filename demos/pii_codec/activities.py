"""Open the customer's account. The activity sees plain data (the codec decrypted it on the way in)
and logs through activity.logger, whose records are masked (masking.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from temporalio import activity


@dataclass
class Customer:
    name: str
    email: str
    card_number: str
    iban: str


@dataclass
class Account:
    account_id: str
    holder: str
    email: str
    card_last4: str


@activity.defn
async def open_account(customer: Customer) -> Account:
    activity.logger.info("opening account for <%s>, card %s, IBAN %s", customer.email, customer.card_number, customer.iban)
    digits = customer.card_number.replace(" ", "")
    number = int(hashlib.sha256(customer.email.encode()).hexdigest(), 16) % 10_000  # stable per customer
    return Account(f"acct-{number:04d}", customer.name, customer.email, digits[-4:])
