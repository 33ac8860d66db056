"""Mijn: a self-service portal for government organisations."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
