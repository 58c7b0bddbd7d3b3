"""Support's use cases, one module a topic; the only code that writes support's rows."""
