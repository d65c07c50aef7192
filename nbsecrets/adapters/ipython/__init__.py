"""The IPython extension: output masking in kernels and terminals, and the magics."""
