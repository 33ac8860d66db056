"""The knowledge base: one source of answers for the web and the contact centre."""
