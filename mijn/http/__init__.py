"""The three HTTP front ends (portal, KCC, API) and what they share."""
