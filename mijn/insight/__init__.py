"""Insight: the monthly report of what lives among citizens, for team leads and editors."""
