r"""Do VAE-GAN hybrids improve inference? The codes of held-out digits, per run.

Rosca's talk "VAEs and GANs" asks whether the hybrids give better inference
than a VAE, and claims that a VAE's learned representation is sparse (many
code dimensions whose posterior is the prior for every digit) while an
AAE's is not. For each trained run (``experiments.train``) this measures, on
the held-out data of its config (the 10,000 MNIST test digits for the
``mnist`` variants):

* the reconstruction error (squared error per pixel in ``[-1, 1]``, of
  ``reconstruct``: the decoder's mean at the encoder's code);
* the codes against the prior (:func:`gengan_jax.metrics.latent_statistics`:
  the KL from a Gaussian fit of the codes to ``N(0, I)``, the norm of their
  mean, the range of their per-dimension variances);
* the active units (:func:`gengan_jax.metrics.active_units`, Burda et al.
  2016, Sec. 5.2): dimensions whose posterior mean varies over the digits
  with variance above ``1e-2``. The posterior mean is the module's
  ``posterior_mean`` where it has one (AVB's implicit encoder: the mean of
  64 draws), else ``encode`` (the Gaussian encoder's ``mu(x)``, the
  deterministic encoder's ``E(x)``).

It prints one markdown table and draws the sorted ``log10`` activities of
every run in one picture (Burda et al.'s Figure 3).

Usage::

  python -m experiments.hybrids_inference --workdir=runs/vae --workdir=runs/aae \
      [--out=docs/images/hybrids_active_units.png] [--examples=10000]
"""

from __future__ import annotations

import json
import os

import jax
import numpy as np
from absl import app, flags

from gengan_jax import algorithms, metrics
from gengan_jax.evaluate.images import reconstruction_error
from gengan_jax.evaluate.loading import held_out_images, load_run
from gengan_jax.metrics import classifier as clf

POSTERIOR_DRAWS = 64  # eps draws per example for an implicit encoder's mean


def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  fv = {"flag_values": flag_values}
  flags.DEFINE_multi_string("workdir", None, "Run directory (repeatable).", **fv)
  flags.DEFINE_string("out", None, "PNG of the sorted activities (optional).", **fv)
  flags.DEFINE_integer("examples", None, "Held-out examples (default: all).", **fv)
  flags.DEFINE_string("json", None, "Also write the results here (optional).", **fv)


def _implicit_mean(algorithm):
  """The defining module's ``posterior_mean`` (an implicit encoder's), or ``None``."""
  return getattr(algorithm.module, "posterior_mean", None)


def posterior_means(algorithm, state, x: np.ndarray, key: jax.Array) -> np.ndarray:
  """``E_q[z | x]`` of every example: the defining module's ``posterior_mean``
  where it has one (averaging :data:`POSTERIOR_DRAWS` draws), else ``encode``."""
  mean_fn = _implicit_mean(algorithm)
  if mean_fn is not None:
    fn = jax.jit(lambda b: mean_fn(state, b, key, POSTERIOR_DRAWS))
  else:
    fn = jax.jit(lambda b: algorithm.encode(state, b))
  return np.asarray(clf.apply_in_batches(fn, x), np.float64)


def measure(algorithm, state, x: np.ndarray, key: jax.Array, description: str) -> dict:
  """The reconstruction error, latent statistics and active units of one model on ``x``.

  Args:
    algorithm: the registry's record (``gengan_jax.algorithms.get(name)``),
      of a model with ``encode`` and ``reconstruct``.
    state: its state.
    x: held-out data ``[N, ...]``.
    key: the implicit encoder's draws.
    description: what ``x`` is (recorded with the reconstruction error).
  """
  means = posterior_means(algorithm, state, x, key)
  rec = clf.apply_in_batches(jax.jit(lambda b: algorithm.reconstruct(state, b)), x)
  stats = metrics.latent_statistics(means)
  act = metrics.active_units(means)
  return {
      "reconstruction": reconstruction_error(x, np.asarray(rec), description),
      "kl_gaussian_fit_to_prior": stats["kl_gaussian_fit_to_prior"],
      "mean_norm": stats["mean_norm"],
      "variance_min": stats["variance_min"], "variance_max": stats["variance_max"],
      "active_units": act["active"], "dimensions": act["dimensions"],
      "log10_activity_sorted": act["log10_activity_sorted"].tolist(),
      "posterior_mean": ("mean of %d draws" % POSTERIOR_DRAWS
                         if _implicit_mean(algorithm) is not None else "encode(x)"),
  }


def table(results: list[dict]) -> str:
  rows = ["| run | algorithm | steps | reconstruction: squared error / pixel | active units "
          "(Var_x E_q[z_u] > 0.01) | KL(Gaussian fit of the codes, N(0, I)) | ‖mean‖ | "
          "per-unit variance min / max | posterior mean |",
          "|---|---|---|---|---|---|---|---|---|"]
  for r in results:
    rows.append(
        f"| {r['run']} | {r['algorithm']} | {r['step']} | "
        f"{r['reconstruction']['mse_per_pixel']:.4f} | {r['active_units']} / {r['dimensions']} | "
        f"{r['kl_gaussian_fit_to_prior']:.3g} | {r['mean_norm']:.3f} | "
        f"{r['variance_min']:.2g} / {r['variance_max']:.2g} | {r['posterior_mean']} |")
  return "\n".join(rows)


def plot(path: str, results: list[dict]) -> None:
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
  for r in results:
    y = np.maximum(np.asarray(r["log10_activity_sorted"]), -8)
    ax.plot(np.arange(1, len(y) + 1), y, marker=".", label=f"{r['algorithm']} ({r['active_units']})")
  ax.axhline(-2, color="k", ls="--", lw=1)
  ax.set_xlabel("code dimension, by decreasing activity")
  ax.set_ylabel("log10 Var_x E_q[z_u]  (floor -8)")
  ax.set_title("Active units of the codes of held-out digits (Burda et al. 2016)", fontsize=9)
  ax.legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)


def main(argv) -> None:
  del argv
  f = flags.FLAGS
  if not f.workdir:
    raise app.UsageError("give at least one --workdir")
  results = []
  for w in f.workdir:
    exp, state, step = load_run(w)
    x, desc, _ = held_out_images(exp.config, exp.dataset)
    x = x[:f.examples]
    name = exp.config.algorithm
    r = measure(algorithms.get(name), state, x, jax.random.key(0), desc)
    results.append({"run": os.path.basename(os.path.normpath(w)), "algorithm": name,
                    "step": step, **r})
    print(f"{w}: {r['active_units']} / {r['dimensions']} active", flush=True)
  print(table(results))
  if f.out:
    plot(f.out, results)
  if f.json:
    with open(f.json, "w") as fh:
      json.dump(results, fh, indent=1)


if __name__ == "__main__":
  define_flags()
  app.run(main)
