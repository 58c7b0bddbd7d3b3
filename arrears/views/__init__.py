"""The customer's arrears pages (overview and pay now; payment plans)."""
