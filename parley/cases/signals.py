"""What the cases app tells other apps, inside the transaction that changed a case.

``case_recorded`` is sent after events are added to a case's record and its stored state
is written, with ``disagreement``, ``procedure`` (the core's), ``record`` (every event,
as the core reads them) and ``new`` (the events just added). The reports app keeps its
per-stage rows in step with it (:mod:`parley.reports.spans`).
"""

from __future__ import annotations

from django.dispatch import Signal

case_recorded = Signal()
