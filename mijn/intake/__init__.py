"""The API for back-office systems and partner organisations, and ZGW notification callbacks."""
