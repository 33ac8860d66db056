"""The API for back-office systems and the ZGW callbacks."""
