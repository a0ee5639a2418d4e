"""Health endpoints for uptime monitors (/health/ and /health/live/)."""
