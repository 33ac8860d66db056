"""Mandates (machtigingen): acting for another party, and who acts for whom in a session."""
