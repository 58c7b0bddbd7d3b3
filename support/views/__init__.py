"""Support's customer pages: the help centre and the customer's tickets."""
