"""Only for development: the development identity provider, demo personas and data."""
