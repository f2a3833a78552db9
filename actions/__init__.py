"""Thin rasa-sdk actions: each asks the knowledge layer and replies per the contract.

The action server (``rasa_sdk --actions actions``) imports every module here and
registers each ``Action`` subclass. Nothing heavy happens at import time: the
knowledge layer is imported when an action first runs.
"""
