"""What arrears tells the apps above it (outages listens)."""

from django.dispatch import Signal

# Supply was interrupted or restored for a disconnection order: sent with
# order (DisconnectionOrder), event ("disconnected" | "reconnected"), on
# (the date) and by (the user), inside the transaction that recorded it.
disconnection_recorded = Signal()
