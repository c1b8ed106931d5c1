"""The reports app's pages, one module per family of screens."""
