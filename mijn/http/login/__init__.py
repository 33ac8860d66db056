"""Logging in: the OIDC client, the login and logout routes, claims to parties."""
