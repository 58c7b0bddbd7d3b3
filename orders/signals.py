"""What orders tells the apps above it (outages listens)."""

from django.dispatch import Signal

# An order was completed (the service done): sent with order and by, inside
# the transaction that completed it, once per order.
order_completed = Signal()
