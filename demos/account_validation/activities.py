"""The three steps of an account validation, each an activity: the only code that touches the
account directory (here an in-memory one; in real life a database and an identity provider).

Activities are where side effects live. They may run more than once (a retry after a timeout), so
`update_record` is written to be safe to repeat: it sets values, it does not increment them blindly.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field

from temporalio import activity
from temporalio.exceptions import ApplicationError


@dataclass
class Account:
    account_id: str
    username: str
    token_sha256: str  # the directory keeps a hash of the access token, never the token itself
    status: str  # "active", "suspended", ...
    record_version: int = 1
    last_validated_at: float | None = None


@dataclass
class CredentialCheck:
    username: str
    access_token: str


@dataclass
class RecordUpdate:
    account_id: str
    validation_id: str  # the workflow id: repeating the same update changes nothing


@dataclass
class UpdatedRecord:
    account_id: str
    record_version: int
    last_validated_at: float


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class AccountDirectory:
    """The accounts, and the activities that read and write them (samples-python's class-based activities)."""

    accounts: dict[str, Account] = field(default_factory=dict)
    applied_updates: set[str] = field(default_factory=set)

    def add(self, account: Account) -> None:
        self.accounts[account.account_id] = account

    def _by_username(self, username: str) -> Account | None:
        return next((a for a in self.accounts.values() if a.username == username), None)

    @activity.defn
    async def check_credentials(self, check: CredentialCheck) -> str:
        """The account id of a user whose token matches. Wrong credentials will not become right
        by asking again: non-retryable."""
        account = self._by_username(check.username)
        if account is None or not hmac.compare_digest(account.token_sha256, token_hash(check.access_token)):
            raise ApplicationError(f"invalid credentials for {check.username!r}", type="InvalidCredentials", non_retryable=True)
        return account.account_id

    @activity.defn
    async def verify_account_status(self, account_id: str) -> str:
        return self.accounts[account_id].status

    @activity.defn
    async def update_record(self, update: RecordUpdate) -> UpdatedRecord:
        account = self.accounts[update.account_id]
        if update.validation_id not in self.applied_updates:  # a retried update is applied once
            self.applied_updates.add(update.validation_id)
            account.record_version += 1
            account.last_validated_at = time.time()
        return UpdatedRecord(account.account_id, account.record_version, account.last_validated_at or 0.0)

    def activities(self) -> list:
        return [self.check_credentials, self.verify_account_status, self.update_record]


def demo_directory() -> AccountDirectory:
    """Two accounts: ada (active) and bob (suspended). The tokens are demo values."""
    directory = AccountDirectory()
    directory.add(Account("acct-1001", "ada", token_hash("tok-ada-demo"), "active"))
    directory.add(Account("acct-1002", "bob", token_hash("tok-bob-demo"), "suspended"))
    return directory
