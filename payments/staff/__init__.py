"""The payments' back-office pages: a customer's payments and refunds, the bank."""
