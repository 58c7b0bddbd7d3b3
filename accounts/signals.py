"""What accounts tells the apps above it."""

from django.dispatch import Signal

# A bank change replaced an account's active mandate (inside the transaction
# that saved it). Sent with account, old (the revoked mandate), new.
mandate_replaced = Signal()
