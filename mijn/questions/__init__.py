"""Follow-up questions, the KCC queue, handover and the agent workspace."""
