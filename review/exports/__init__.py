"""Results export for operators and reviewers: the rows (rows), the CSV and XLSX files
(writers), the page and the file views (views), and the admin action (actions)."""

from .actions import export_results_action

__all__ = ["export_results_action"]
