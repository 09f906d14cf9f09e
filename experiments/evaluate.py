r"""Evaluates trained runs: ``python -m experiments.evaluate --workdir=DIR``.

The repository's entry point of :mod:`gengan_jax.evaluate.cli`: the same
command as ``gengan-evaluate`` and ``python -m gengan_jax.evaluate`` (which
an installed library has); ``--help`` lists the metrics and flags::

  python -m experiments.evaluate --workdir=workdirs/alpha_gan_mnist \
      [--workdir=workdirs/dcgan_mnist ...] [--classifier=PATH] \
      [--num_samples=N] [--critic_steps=1000] [--seed=0]
"""

from gengan_jax.evaluate.cli import console_main, define_flags, main, run
from gengan_jax.evaluate.evaluation import evaluate_run
from gengan_jax.evaluate.images import DEFAULT_IMAGE_SAMPLES, evaluate_images
from gengan_jax.evaluate.loading import draw_samples, held_out_images, load_run
from gengan_jax.evaluate.mixtures import evaluate_mixture
from gengan_jax.evaluate.report import likelihood_note, write_report
from gengan_jax.evaluate.tables import run_table, summary_tables

__all__ = [
    "DEFAULT_IMAGE_SAMPLES", "console_main", "define_flags", "draw_samples", "evaluate_images",
    "evaluate_mixture", "evaluate_run", "held_out_images", "likelihood_note", "load_run",
    "main", "run", "run_table", "summary_tables", "write_report",
]

if __name__ == "__main__":
  console_main()
