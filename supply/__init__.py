"""Service set-up: premises' tariffs, VAT rates, service agreements and their lifecycle."""
