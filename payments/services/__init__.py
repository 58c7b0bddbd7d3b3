"""The payments' use cases, one module a topic; the only code that writes the payments' rows."""
