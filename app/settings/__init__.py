"""Settings split by environment (development, production, test) and by integration."""
