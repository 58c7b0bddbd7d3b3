"""Supply's use cases, one module a topic; the only code that writes supply's rows."""
