"""Side effects of the inbox live in activities: the workflow decides *that* someone must hear about
an escalation; this activity is what actually tells them (here: the worker's log), and it returns a
receipt so the delivery is recorded in the workflow's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from temporalio import activity
from temporalio.exceptions import ApplicationError


@dataclass
class Notification:
    recipient: str
    subject: str
    body: str


@dataclass
class NotificationReceipt:
    recipient: str
    message: str  # exactly what was delivered
    sent_at: str  # wall-clock time of delivery; fine here, activities need not be deterministic
    attempt: int  # >1 means Temporal retried an earlier failed delivery


def render(notification: Notification) -> str:
    return f"To {notification.recipient}: {notification.subject}. {notification.body}"


@activity.defn
async def notify(notification: Notification) -> NotificationReceipt:
    if not notification.recipient.strip():
        # Retrying cannot invent a recipient: fail for good instead of retrying forever.
        raise ApplicationError("a notification needs a recipient", non_retryable=True)
    message = render(notification)
    # The demo's delivery channel is the worker's log; a real inbox would call email/Slack here.
    activity.logger.info("notify: %s", message)
    return NotificationReceipt(
        recipient=notification.recipient,
        message=message,
        sent_at=datetime.now(timezone.utc).isoformat(),
        attempt=activity.info().attempt,
    )
