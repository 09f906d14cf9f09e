"""The report's pictures, and what can be said about a model's likelihood."""

from __future__ import annotations

import os
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gengan_jax import data  # noqa: E402
from gengan_jax.metrics import critic, latent  # noqa: E402
from gengan_jax.train import plots  # noqa: E402


def likelihood_note(algorithm: Any) -> str:
  """Why there is (no) likelihood for this model.

  Args:
    algorithm: the run's :class:`gengan_jax.core.Algorithm` record.

  Returns:
    ``'available'``, or ``'not applicable: ...'`` with the reason.
  """
  if algorithm.log_likelihood is not None:
    return "available"
  return (f"not applicable: {algorithm.name} is an implicit model "
          "(no log-likelihood, and no decoder likelihood for an IWAE bound)")


def write_report(report_dir: str, exp: Any, arrays: dict) -> list[str]:
  """Writes the report's PNGs.

  * ``samples.png``: a scatter of samples and data (mixtures) or a grid of
    the first 64 samples (images);
  * ``modes.png``: samples per mode (mixtures), images per mode (Stacked
    MNIST) or the classifier's class histogram (digits);
  * ``critic.png``: the independent critic's curves, when it was trained;
  * ``latent.png``: the codes' statistics, when the model has an encoder.

  Args:
    report_dir: the directory to write (made if missing).
    exp: the run's experiment.
    arrays: what :func:`~gengan_jax.evaluate.mixtures.evaluate_mixture` or
      :func:`~gengan_jax.evaluate.images.evaluate_images` returned for the
      pictures.

  Returns:
    The paths written.
  """
  os.makedirs(report_dir, exist_ok=True)
  paths = []
  title = f"{exp.config.algorithm} on {exp.dataset.name}"
  samples = arrays["samples"]
  path = os.path.join(report_dir, "samples.png")
  if isinstance(exp.dataset, data.MixtureDataset):
    real = exp.dataset.mixture.sample(np.random.default_rng(0), len(samples))
    plots.scatter_samples(path, samples, real, means=arrays["means"], title=title)
  else:
    plots.image_grid(path, samples[:64], title=title + ": samples")
  paths.append(path)

  path = os.path.join(report_dir, "modes.png")
  if "counts" in arrays:  # mixtures: samples per mode (VEEGAN protocol).
    counts = np.asarray(arrays["counts"])
    fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
    ax.bar(np.arange(len(counts)), counts, color="tab:orange")
    ax.axhline(counts.sum() / len(counts), color="k", lw=0.8, ls="--", label="uniform")
    ax.set_xlabel("mode")
    ax.set_ylabel("high-quality samples")
    ax.legend(fontsize=8)
    ax.set_title(title + ": samples per mode", fontsize=9)
  elif "mode_counts" in arrays:  # Stacked MNIST: 1000 modes as a 10 x 100 image.
    fig, axes = plt.subplots(2, 1, figsize=(8, 3.6), dpi=100)
    for ax, name in zip(axes, ("samples", "held_out")):
      c = np.asarray(arrays["mode_counts"][name], np.float64)
      im = ax.imshow(c.reshape(10, 100), aspect="auto", cmap="viridis")
      ax.set_yticks(range(10))
      ax.tick_params(labelsize=6)
      ax.set_ylabel("first digit")
      ax.set_title(f"{name}: images per mode (columns: last two digits)", fontsize=8)
      fig.colorbar(im, ax=ax)
  elif "class_histogram" in arrays:  # digits: the classifier's class histogram.
    fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
    h = arrays["class_histogram"]
    ax.bar(np.arange(10) - 0.2, h["samples"], width=0.4, label="samples", color="tab:orange")
    ax.bar(np.arange(10) + 0.2, h["held_out"], width=0.4, label="held-out data",
           color="tab:blue")
    ax.set_xticks(range(10))
    ax.set_xlabel("digit predicted by the MNIST classifier")
    ax.set_ylabel("share")
    ax.legend(fontsize=8)
    ax.set_title(title + ": class histogram", fontsize=9)
  else:
    fig = None
  if fig is not None:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    paths.append(path)

  if "critic" in arrays:
    path = os.path.join(report_dir, "critic.png")
    critic.plot_critic_history(path, arrays["critic"], title=title + ": independent critic")
    paths.append(path)

  if "latent" in arrays:
    _, prior, stats = arrays["latent"]
    path = os.path.join(report_dir, "latent.png")
    latent.plot_latent_statistics(path, stats, title=f"{title}: codes of held-out data "
                                  f"vs the {prior} prior")
    paths.append(path)
  return paths
