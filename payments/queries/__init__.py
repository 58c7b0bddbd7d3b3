"""The payments' reads, one module a topic: payments and refunds, the bank reconciliation queue."""
