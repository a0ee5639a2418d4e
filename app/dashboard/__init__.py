"""Operator dashboard I: trigger-log triage, permissions and the audit trail."""
