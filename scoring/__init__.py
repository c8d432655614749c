"""Practical marking schemes, referee marks, reconciliation, locks and result rules."""
