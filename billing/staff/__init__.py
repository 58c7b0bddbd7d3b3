"""Billing's back-office pages."""
