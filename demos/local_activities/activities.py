"""One short, pure step: check an IBAN's checksum (ISO 13616, mod 97). Milliseconds of CPU, no I/O:
the kind of step a local activity is for."""

from __future__ import annotations

import time
from dataclasses import dataclass

from temporalio import activity


@dataclass
class IbanCheck:
    iban: str
    valid: bool
    started_at: float  # time.perf_counter() in the worker process: when this execution began


def iban_is_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    if len(compact) < 15 or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


@activity.defn
async def validate_iban(iban: str) -> IbanCheck:
    started = time.perf_counter()
    return IbanCheck(iban, iban_is_valid(iban), started)
