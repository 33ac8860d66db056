"""Rate limits that hold across workers and processes: counters in the database."""
