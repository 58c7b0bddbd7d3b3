"""Bills as documents: the presenter, the PDF and the e-invoice."""
