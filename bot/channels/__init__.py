"""Rasa input channels written for this assistant (loaded by Rasa from credentials.yml)."""
