"""Thin layers that connect the pure core to IPython, Jupyter and the command line."""
