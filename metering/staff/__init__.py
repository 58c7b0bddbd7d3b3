"""The back-office pages of read intake: review queue and bulk import."""
