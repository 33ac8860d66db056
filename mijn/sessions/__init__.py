"""Server-side login sessions: the row behind a session cookie."""
