"""The KCC workspace: pages for agents, specialists, team leads and editors."""
