"""Onboard a customer. Nothing here knows about encryption: the codec works below the workflow,
so the code reads and writes plain data while the server only ever stores ciphertext."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from demos.pii_codec.activities import Account, Customer, open_account


@dataclass
class Welcome:
    account: Account
    greeting: str


@workflow.defn
class OnboardingWorkflow:
    @workflow.run
    async def run(self, customer: Customer) -> Welcome:
        # Pattern masking catches formats (emails, card numbers, IBANs), not names: log no names.
        workflow.logger.info("onboarding customer <%s>", customer.email)
        account = await workflow.execute_activity(open_account, customer, start_to_close_timeout=timedelta(seconds=10))
        return Welcome(account, f"Welcome, {customer.name}: your card ending {account.card_last4} is linked")
