"""Project-wide pytest configuration."""

pytest_plugins = ["tests.simulator_fixtures"]
