"""The run: read OutSmart, plan each relation (create, update, link, unchanged) against the state and Silvasoft, apply
the plan within the hour's budget, recover what an earlier run left open, and write Silvasoft's numbers back."""
