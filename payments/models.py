"""Payments: providers, payments, allocation, refunds, SEPA, bank statements."""
