"""Version 1 of the order workflow, as it was first deployed: reserve stock, wait for a human to
approve, charge. Kept (not deleted) so the demo can run it, and so its history can be replayed.

The wait for approval is what makes runs long-lived: a v1 run can still be open when v2 ships.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import VersioningBehavior

with workflow.unsafe.imports_passed_through():
    from demos.versioning.activities import charge_payment, reserve_stock
    from demos.versioning.model import ACTIVITY_TIMEOUT, AWAITING_APPROVAL, WORKFLOW_NAME, Order, OrderResult


# PINNED: a run stays on the Worker Deployment Version it started on (see model.py).
@workflow.defn(name=WORKFLOW_NAME, versioning_behavior=VersioningBehavior.PINNED)
class OrderApprovalV1:
    def __init__(self) -> None:
        self._status = "started"
        self._approved_by: str | None = None

    @workflow.run
    async def run(self, order: Order) -> OrderResult:
        steps = [await workflow.execute_activity(reserve_stock, order, start_to_close_timeout=ACTIVITY_TIMEOUT)]

        self._status = AWAITING_APPROVAL
        await workflow.wait_condition(lambda: self._approved_by is not None)
        assert self._approved_by is not None

        self._status = "charging"
        steps.append(await workflow.execute_activity(charge_payment, order, start_to_close_timeout=ACTIVITY_TIMEOUT))
        self._status = "done"
        return OrderResult(order_id=order.order_id, path="v1", approved_by=self._approved_by, steps=steps)

    @workflow.signal
    def approve(self, approver: str) -> None:
        self._approved_by = approver

    @workflow.query
    def status(self) -> str:
        return self._status
