"""Tasks ("Te doen"): what a back-office asks a party to do, and the party doing it."""
