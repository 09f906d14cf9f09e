"""Evaluation of trained runs: every metric that applies, a report and tables.

The top floor of the library, beside :mod:`gengan_jax.train` (it restores
what a training run wrote); nothing below imports it. One module per idea:

* :mod:`~gengan_jax.evaluate.loading` -- :func:`load_run` (rebuild a run's
  experiment, restore its checkpoint), :func:`draw_samples`,
  :func:`held_out_images`;
* :mod:`~gengan_jax.evaluate.mixtures` -- :func:`evaluate_mixture`: modes and
  sample quality on mixtures of Gaussians (VEEGAN, PacGAN protocols);
* :mod:`~gengan_jax.evaluate.critic` -- :func:`evaluate_critic`: the
  independent Wasserstein critic of a run (images and mixtures);
* :mod:`~gengan_jax.evaluate.images` -- :func:`evaluate_images`: classifier
  and Inception feature metrics, MS-SSIM diversity, independent critic,
  latent statistics;
* :mod:`~gengan_jax.evaluate.likelihood` -- :func:`evaluate_likelihood` (a
  run's held-out data) and :func:`held_out_likelihood` (any data): the bound,
  ELBO, bits/dim and ELBO surgery of models with a likelihood;
* :mod:`~gengan_jax.evaluate.report` -- :func:`write_report` (the PNGs) and
  :func:`likelihood_note`;
* :mod:`~gengan_jax.evaluate.tables` -- :func:`run_table`,
  :func:`summary_tables` (Markdown);
* :mod:`~gengan_jax.evaluate.evaluation` -- :func:`evaluate_run`: all of the
  above for one run, written to ``<workdir>/evaluation.json`` and
  ``<workdir>/report/``;
* :mod:`~gengan_jax.evaluate.cli` -- the command,
  ``python -m gengan_jax.evaluate --workdir=DIR`` (:func:`define_flags`,
  :func:`run`, :func:`main`; its docstring lists every metric).

Example::

  from gengan_jax import evaluate
  result = evaluate.evaluate_run("workdirs/dcgan_ring", num_samples=2500)
  print(evaluate.run_table(result))
"""

from gengan_jax.evaluate.cli import define_flags
from gengan_jax.evaluate.cli import main
from gengan_jax.evaluate.cli import run
from gengan_jax.evaluate.evaluation import evaluate_run
from gengan_jax.evaluate.images import DEFAULT_IMAGE_SAMPLES
from gengan_jax.evaluate.images import evaluate_images
from gengan_jax.evaluate.likelihood import evaluate_likelihood
from gengan_jax.evaluate.likelihood import held_out_likelihood
from gengan_jax.evaluate.loading import draw_samples
from gengan_jax.evaluate.loading import held_out_images
from gengan_jax.evaluate.loading import load_run
from gengan_jax.evaluate.mixtures import evaluate_mixture
from gengan_jax.evaluate.report import likelihood_note
from gengan_jax.evaluate.report import write_report
from gengan_jax.evaluate.tables import run_table
from gengan_jax.evaluate.tables import summary_tables

__all__ = [
    "DEFAULT_IMAGE_SAMPLES",
    "define_flags",
    "draw_samples",
    "evaluate_images",
    "evaluate_likelihood",
    "evaluate_mixture",
    "evaluate_run",
    "held_out_images",
    "held_out_likelihood",
    "likelihood_note",
    "load_run",
    "main",
    "run",
    "run_table",
    "summary_tables",
    "write_report",
]
