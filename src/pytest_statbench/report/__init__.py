"""Reports drawn from the JSON-able form of a run: terminal, HTML."""
