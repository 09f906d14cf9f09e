r"""Evaluates trained runs with every metric that applies to their data and model.

Usage (``gengan-evaluate`` and ``python -m gengan_jax.evaluate`` are the same
command; in the repository ``python -m experiments.evaluate`` too)::

  gengan-evaluate --workdir=workdirs/alpha_gan_mnist \
      [--workdir=workdirs/dcgan_mnist ...] [--classifier=PATH] \
      [--num_samples=N] [--critic_steps=1000] [--inception=FILE] [--seed=0] \
      [--step=S] [--reuse] [--likelihood_samples=1000] [--likelihood_examples=N] \
      [--divergence_critic_steps=0] [--divergence_critic_seeds=3] [--noaverage]

For each work directory (written by ``gengan-train``, i.e.
:func:`gengan_jax.train.train`) it reads ``config.json``, restores the
latest checkpoint, draws samples and computes:

* **mixtures of Gaussians** (``data.source='toy'``): modes covered, share of
  high-quality samples and reverse KL over modes, under the VEEGAN and the
  PacGAN protocols (:mod:`gengan_jax.evaluate.mixtures`), and the
  independent Wasserstein critic (an MLP, 3 x 128) trained on 2,500 fresh
  draws from the mixture against samples and measured on 2,500 others
  (:mod:`gengan_jax.evaluate.critic`);
* **MNIST-like 28x28 digits** (``'idx'``, ``'npz'``, ``'tfds'`` with 28x28x1
  images), with the features and logits of the MNIST evaluation classifier
  (:mod:`gengan_jax.metrics.classifier`; ``--classifier``, else
  ``$GENGAN_MNIST_CLASSIFIER``, else the library's own weights at
  :data:`gengan_jax.metrics.classifier.DEFAULT_CLASSIFIER_PATH`): "MNIST FID"
  and KID, "MNIST IS", precision/recall, density/coverage, the classifier's
  class histogram; the MS-SSIM sample diversity with its references on real
  data and on real data plus noise; an independent Wasserstein critic
  (Danihelka et al. 2017) trained on half of the held-out data against
  samples and measured on the other half; reference values of the same
  metrics between the training and the held-out data
  (:mod:`gengan_jax.evaluate.images`);
* with ``--inception=<weights file>``, for any images: the same FID, KID, IS
  and precision/recall, density/coverage on the pool3 features and logits of
  the FID Inception-v3 (:mod:`gengan_jax.metrics.inception`; the weights are
  a local file, never downloaded -- slow on a CPU);
* **Stacked MNIST** (``'stacked_mnist'``): the above on the channels read as
  separate digits, plus the number of the 1000 modes covered and the KL of
  the mode histogram to the uniform distribution;
* **latent statistics** (Rosca et al. 2017, Appendix D) when the algorithm
  has an encoder (``encode``): the codes of held-out data against the prior;
* **divergence critics** (Im et al. 2018) with ``--divergence_critic_steps=N``
  (off by default: 4 x 3 critics cost about 12 times the independent
  critic): a new GAN (Jensen-Shannon), least-squares (Pearson chi^2 of the
  data from the mixture), WGAN-GP (Wasserstein-1) and learned-kernel MMD
  critic, each trained from scratch for ``N`` steps on the independent
  critic's data against samples, ``--divergence_critic_seeds`` times; each
  divergence's held-out estimate as mean +- sd over the seeds
  (:mod:`gengan_jax.metrics.divergence_critics`);
* **held-out likelihood** when the model defines ``log_likelihood`` (none of
  the GANs here does, and the output says so): its mean over the held-out
  data in nats; for an importance-weighted bound (VAE, beta-VAE, IWAE) the
  ELBO and the bound with ``k = --likelihood_samples`` draws; bits/dim for
  images (not for binarised pixels); and the ELBO surgery of Hoffman &
  Johnson 2016 (average KL = index-code mutual information + marginal KL)
  where the encoder is Gaussian, to the model's own prior (a flow prior's
  KL by Monte Carlo) (:mod:`gengan_jax.evaluate.likelihood`).

A run that kept a moving average of its parameters (``train.ema_decay``) is
evaluated with the average, as its own evaluations during training were,
unless ``--noaverage``; ``evaluation.json`` says which (``settings.parameters``).

Errors are one ``error: ...`` line (exit 1): a ``--workdir`` that is missing,
a file, or not written by a training run, a damaged checkpoint, a missing
classifier, an unreadable or unwritable file. ``--help`` exits 0.

It writes ``<workdir>/evaluation.json`` (every number, with the settings
that produced it), pictures in ``<workdir>/report/`` (samples, mode
histogram, critic curves, latent statistics) and prints a table (Markdown,
one row per metric; with several ``--workdir`` flags also one summary table
per kind of data, one row per run).

Held-out data: for IDX sources (``'idx'``, ``'stacked_mnist'``) the ``test``
split (``t10k-*``) in the same directory (for Stacked MNIST, as many images
as samples stacked from the held-out digits); when there is none (e.g. an
``npz`` file) the training data itself, which the JSON records, and the
reference values then compare two halves of the training data. The
feature metrics (FID, KID, precision/recall, density/coverage) use at most
10,000 examples per set, a seeded random subset of larger sets (the
nearest-neighbour ones cost O(N^2)); the inception score uses every sample.
"""

from __future__ import annotations

import json
import os
import sys

from absl import flags
from absl import logging

from gengan_jax.core import ConfigError
from gengan_jax.evaluate.evaluation import evaluate_run
from gengan_jax.evaluate.tables import run_table, summary_tables
from gengan_jax.metrics import classifier as clf
from gengan_jax.train import command_line


def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Defines the command-line flags in ``flag_values``.

  Called when the command runs (not at import, so importing this module next
  to another entry point defines no clashing ``--workdir``/``--seed``).

  Args:
    flag_values: where to define them (default: absl's global flags).
  """
  fv = {"flag_values": flag_values}
  flags.DEFINE_multi_string("workdir", None, "Run directory (repeatable).", **fv)
  flags.DEFINE_string(
      "classifier", None, f"MNIST classifier directory (default: ${clf.ENV_VAR} or "
      f"{clf.DEFAULT_CLASSIFIER_PATH}).", **fv)
  flags.DEFINE_integer(
      "num_samples", None, "Model samples (default: 2,500 for mixtures as in VEEGAN/PacGAN; "
      "10,000 for images, the size of the MNIST test set; 26,000 for Stacked MNIST as in "
      "PacGAN).", **fv)
  flags.DEFINE_integer("critic_steps", 1000,
                       "Independent critic training steps (0: skip the critic).", **fv)
  flags.DEFINE_string(
      "inception", None, "Inception-v3 FID weights (.pth or converted .npz; see "
      "gengan_jax.metrics.inception): adds Inception FID/KID/IS/precision-recall for images.",
      **fv)
  flags.DEFINE_integer("ms_ssim_pairs", 2000, "Random pairs for MS-SSIM diversity.", **fv)
  flags.DEFINE_integer("seed", 0, "Seed of the evaluation's samples and draws.", **fv)
  flags.DEFINE_bool(
      "reuse", False, "Print the tables from an existing <workdir>/evaluation.json instead of "
      "evaluating again (runs without one are evaluated).", **fv)
  flags.DEFINE_integer("step", None, "Checkpoint step to evaluate (default: latest).", **fv)
  flags.DEFINE_integer(
      "likelihood_samples", 1000, "Importance samples k of the held-out likelihood bound of "
      "models that have one (0: skip the held-out likelihood).", **fv)
  flags.DEFINE_integer(
      "divergence_critic_steps", 0, "Steps of each of the four divergence critics of Im et al. "
      "2018 (GAN/JS, least squares, WGAN-GP, MMD; 0: skip them).", **fv)
  flags.DEFINE_integer("divergence_critic_seeds", 3,
                       "Critic seeds per divergence (mean +- sd over them).", **fv)
  flags.DEFINE_integer(
      "likelihood_examples", None, "Held-out examples for the likelihood (default: all; "
      "2,500 fresh draws for mixtures).", **fv)
  flags.DEFINE_bool(
      "average", True, "For a run with train.ema_decay > 0: use its parameters' moving "
      "average (the default, as its own evaluations did); --noaverage: the trained parameters.",
      **fv)


def run(flag_values: flags.FlagValues) -> list[dict]:
  """Evaluates (or reloads, with ``--reuse``) every ``--workdir``; prints tables.

  Args:
    flag_values: parsed flags defined by :func:`define_flags`.

  Returns:
    The evaluations, one per ``--workdir``.

  Raises:
    SystemExit: no ``--workdir``, a bad config or a missing file (run or
      classifier), with the message.
  """
  fv = flag_values
  if not fv.workdir:
    sys.exit("error: pass --workdir=<run directory> (repeatable).")
  from gengan_jax.train.checkpoint import CheckpointError  # pylint: disable=g-import-not-at-top
  from gengan_jax.evaluate.loading import population_members  # pylint: disable=g-import-not-at-top
  results = []
  for workdir in [m for w in fv.workdir for m in population_members(w)]:
    if os.path.exists(workdir) and not os.path.isdir(workdir):
      sys.exit(f"error: --workdir={workdir} is a file, not a run directory; pass the "
               "--workdir of a training run (`gengan-train`).")
    saved = os.path.join(os.path.abspath(workdir), "evaluation.json")
    if fv.reuse and os.path.isfile(saved):
      with open(saved) as f:
        results.append(json.load(f))
      print(f"\n{saved} (reused)\n")
      print(run_table(results[-1]))
      continue
    try:
      result = evaluate_run(
          workdir, classifier=fv.classifier, num_samples=fv.num_samples,
          critic_steps=fv.critic_steps, ms_ssim_pairs=fv.ms_ssim_pairs, seed=fv.seed,
          step=fv.step, inception=fv.inception, likelihood_samples=fv.likelihood_samples,
          likelihood_examples=fv.likelihood_examples,
          divergence_critic_steps=fv.divergence_critic_steps,
          divergence_critic_seeds=fv.divergence_critic_seeds, average=fv.average,
          log=lambda s, w=workdir: print(f"[{os.path.basename(w)}] {s}", flush=True))
    except (ConfigError, FileNotFoundError, CheckpointError) as e:
      sys.exit(f"error: {e}")
    except OSError as e:  # a file that cannot be read or written (a full disk)
      where = f" ({e.filename})" if getattr(e, "filename", None) else ""
      sys.exit(f"error: evaluating {workdir}: {e.strerror or e}{where}.")
    results.append(result)
    print(f"\n{result['algorithm']} on {result['data']}, step {result['step']} "
          f"({result['seconds']:.0f} s)\n")
    print(run_table(result))
    print(f"\n  evaluation : {os.path.join(result['workdir'], 'evaluation.json')}")
    for p in result.get("report", []):
      print(f"  picture    : {p}")
  if len(results) > 1:
    print("\n" + summary_tables(results))
  return results


def main(argv: list[str]) -> None:
  """The command: ``absl.app.run(main)`` after :func:`define_flags`."""
  del argv
  logging.set_verbosity(logging.WARNING)  # orbax logs every file it reads.
  run(flags.FLAGS)


def console_main() -> None:
  """The command (``gengan-evaluate``, ``python -m gengan_jax.evaluate``)."""
  command_line.run_command(__name__, __doc__, define_flags, main)
