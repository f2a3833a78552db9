"""Serving the bot at scale: PostgreSQL, Redis, nginx and replicas, and its load tests."""
