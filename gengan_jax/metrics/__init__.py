"""Evaluation metrics."""

from gengan_jax.metrics.mixtures import ModeCoverage, mode_coverage

__all__ = ["ModeCoverage", "mode_coverage"]
