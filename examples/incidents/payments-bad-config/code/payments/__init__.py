"""The payments API."""
