"""The WRONG way to ship v2: the same change as workflows.py, without workflow.patched().

Never registered on a worker. It exists so the demo (and tests) can replay a v1 run's history
against it and show the nondeterminism error Temporal raises: the code now schedules `check_fraud`
where the recorded history says the run went straight on to wait for approval. On a real worker
that error would block the v1 run (its workflow task fails and is retried) until the code is fixed.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import VersioningBehavior

with workflow.unsafe.imports_passed_through():
    from demos.versioning.activities import charge_payment, check_fraud, reserve_stock
    from demos.versioning.model import ACTIVITY_TIMEOUT, AWAITING_APPROVAL, WORKFLOW_NAME, Order, OrderResult


# PINNED: a run stays on the Worker Deployment Version it started on (see model.py).
@workflow.defn(name=WORKFLOW_NAME, versioning_behavior=VersioningBehavior.PINNED)
class OrderApprovalUnpatched:
    def __init__(self) -> None:
        self._status = "started"
        self._approved_by: str | None = None

    @workflow.run
    async def run(self, order: Order) -> OrderResult:
        steps = [await workflow.execute_activity(reserve_stock, order, start_to_close_timeout=ACTIVITY_TIMEOUT)]

        # The new step, added unconditionally: fine for new runs, fatal for runs v1 started.
        self._status = "checking fraud"
        verdict = await workflow.execute_activity(check_fraud, order, start_to_close_timeout=ACTIVITY_TIMEOUT)
        steps.append(f"fraud check: {verdict.risk} ({verdict.reason})")

        self._status = AWAITING_APPROVAL
        await workflow.wait_condition(lambda: self._approved_by is not None)
        assert self._approved_by is not None

        self._status = "charging"
        steps.append(await workflow.execute_activity(charge_payment, order, start_to_close_timeout=ACTIVITY_TIMEOUT))
        self._status = "done"
        return OrderResult(order_id=order.order_id, path="v2", approved_by=self._approved_by, steps=steps)

    @workflow.signal
    def approve(self, approver: str) -> None:
        self._approved_by = approver

    @workflow.query
    def status(self) -> str:
        return self._status
