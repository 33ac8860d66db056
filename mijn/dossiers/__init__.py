"""Dossiers (cases and reports), their types and status timelines."""
