"""One ml_collections config file per experiment; see ``common.py``."""
