"""The payments' forms: paying and recording payments, bank statements and reconciliation."""
