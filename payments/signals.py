"""What payments tells the apps above it (arrears listens)."""

from django.dispatch import Signal

# A booked payment came back (a returned direct debit, a chargeback).
# Sent with payment, kind ("DIRECT_DEBIT_RETURNED" | "CHARGEBACK"), reason_code, as_of.
payment_returned = Signal()

# A payment was booked and allocated (online, SEPA, bank statement, an agent).
# Sent with payment, as_of.
payment_booked = Signal()
