"""The pages, one module per group: signing in, the worklist, accounts."""
