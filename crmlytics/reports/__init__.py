"""Reports: self-contained HTML files built from tables and plotly charts."""

from crmlytics.reports.html import write_report

__all__ = ["write_report"]
