"""Retention (bewaartermijnen): removing what is past its period, through each area's own
deletions, and keeping count of what was removed when."""
