"""Project-level operations: bootstrap commands shared by Heroku and the local demo."""
