"""Notifications: an outbox written with each change, e-mail delivery and the portal inbox."""
