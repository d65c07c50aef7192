"""The pure core: sources, rules, store, environment and masking. Imports no IPython."""
