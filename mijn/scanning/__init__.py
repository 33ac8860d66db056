"""Virus scanning of uploaded files with ClamAV's clamd, over its socket (issue 19, item 4)."""
