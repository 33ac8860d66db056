"""Open Klant 2 (the Klantinteracties API): what Mijn exports there, through its own outbox."""
