"""Silvasoft as the target: its client and answer shapes, the request budget of a Silvasoft plan,
and the account's request ledger."""
