"""Command-line tools: the nox bootstrap (tools/nox) and the deploy lifecycle."""
