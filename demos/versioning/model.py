"""What goes into and comes out of every version of the order workflow.

These types are shared by v1 and v2 on purpose: changing a workflow's input or output shape is a
separate compatibility question from changing its steps, and this demo is about the steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

# All versions register under this one workflow type name: that is what makes them versions of the
# same workflow rather than different workflows. Runs started by v1 are picked up by v2 workers.
WORKFLOW_NAME = "OrderApproval"

# The id v2 uses with workflow.patched(). It is recorded as a marker in the history of every run
# that takes the new path, and it must never be reused for a different change.
FRAUD_CHECK_PATCH = "add-fraud-check"

AWAITING_APPROVAL = "awaiting approval"

ACTIVITY_TIMEOUT = timedelta(seconds=10)


@dataclass
class Order:
    order_id: str
    customer: str
    amount_cents: int


@dataclass
class OrderResult:
    order_id: str
    path: str  # "v1" or "v2": which code path this run took
    approved_by: str
    steps: list[str] = field(default_factory=list)
