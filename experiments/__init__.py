"""Experiment configs and entry points (``python -m experiments.train``)."""
