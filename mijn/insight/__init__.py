"""Insight: the monthly report of what lives among citizens, for team leads and editors.

Every figure is one SQL aggregation. A reporting area reads other areas' tables: the
queries in volumes.py, handling.py and knowledge.py read questions, their events, contacts,
dossiers, teams and the answers' feedback, flags and events directly, in SQL, rather than
through those areas' services (which load rows): the one documented exception to "an area
never reads another area's tables". Nothing here writes, and no function returns a name, an
identifier, a reference or free text: only counts, durations, and the labels of topics,
channels, teams, dossier types and answer titles. Everything else goes through the other
areas' services.

period.py holds the month and department filter; report.py turns the figures into tables.
"""
