"""Writes of the recovery app: actions through their life (actions.py), empowerment policies (policies.py)."""
