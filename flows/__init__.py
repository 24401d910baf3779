"""Thin Prefect flows and the ``ladder`` command line; all real work lives in the packages."""
