"""Staff members (agents, specialists, team leads) and the teams they belong to."""
