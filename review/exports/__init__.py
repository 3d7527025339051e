"""Results export for operators and reviewers: the rows (rows), the CSV and XLSX files
(writers), the page and the file views (views), the admin action (actions); and one
candidate's audit trail for an inspector (trail)."""

from .actions import export_results_action
from .trail import export_trail_action

__all__ = ["export_results_action", "export_trail_action"]
