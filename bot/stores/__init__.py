"""Rasa-side stores for the scale-out profile (``bot/serving/endpoints.yml``): the
conversation store and the lock store that several Rasa replicas share."""
