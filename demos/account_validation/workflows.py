"""The first workflow: three steps, each an activity, in order.

The workflow only decides what happens next; the activities do the work. Every step's start and
result is an event in the workflow's history, which is what the slide shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from demos.account_validation.activities import AccountDirectory, CredentialCheck, RecordUpdate

STEP_OPTIONS = dict(
    start_to_close_timeout=timedelta(seconds=10),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3),
)


@dataclass
class ValidationRequest:
    username: str
    access_token: str


@dataclass
class ValidationResult:
    username: str
    account_id: str | None
    valid: bool
    reason: str
    record_version: int | None = None


@workflow.defn
class AccountValidationWorkflow:
    @workflow.run
    async def run(self, request: ValidationRequest) -> ValidationResult:
        account_id = await workflow.execute_activity_method(
            AccountDirectory.check_credentials, CredentialCheck(request.username, request.access_token), **STEP_OPTIONS
        )
        status = await workflow.execute_activity_method(AccountDirectory.verify_account_status, account_id, **STEP_OPTIONS)
        if status != "active":
            return ValidationResult(request.username, account_id, valid=False, reason=f"account is {status}")
        record = await workflow.execute_activity_method(
            AccountDirectory.update_record, RecordUpdate(account_id, workflow.info().workflow_id), **STEP_OPTIONS
        )
        return ValidationResult(request.username, account_id, valid=True, reason="credentials ok, account active", record_version=record.record_version)
