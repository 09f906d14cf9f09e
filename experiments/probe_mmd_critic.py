r"""Where an MMD-GAN's critic puts a 2-D mixture's modes and the samples that miss them.

A diagnostic of MMD-GAN's strands on the grid (docs/results.md, "Where every
algorithm stands on the grid"): the generator minimises ``MMD^2`` between the
critic's features ``f(x)`` of the data and of its samples, so a sample that
misses every mode costs it only as far as ``f`` sets that sample apart from
the modes, at the scale of the kernel's bandwidths. For each trained
``mmd_gan`` run (a run directory, or a population member's
``<workdir>/members/<i>``) on the ring or the grid, one table row:

* **feature sd**: the standard deviation of ``f(x)`` over the data, averaged
  over the features: the scale of the feature space, to set against the
  kernel's bandwidths (``kernel_scales``);
* **affine share**: the share of the features' variance over the data that
  an affine function of ``x`` explains (1: the critic is linear in effect);
* **neighbours apart**: the median distance in feature space between the
  features of neighbouring modes' means (modes at the mixture's smallest
  spacing);
* **folded**: how many of those neighbouring pairs the critic maps closer
  together than ``FOLDED`` times that median (a folded pair looks like one
  mode to the kernel);
* **off-mode**: the share of ``G``'s samples farther than 3 standard
  deviations from every mode (1 - high quality);
* **off / on in features**: the median distance in feature space from an
  off-mode sample, and from an on-mode one, to the nearest mode mean's
  features: how far the critic sets the misses apart from the modes;
* **misses on folded segments**: of the off-mode samples within
  ``SEGMENT_WIDTH`` of a segment between neighbouring modes (the grid's
  lines), the share whose nearest segment joins a folded pair, next to the
  share of segments that do: if folding made the strands, the first would
  be far above the second.

Usage::

  python -m experiments.probe_mmd_critic <run> [<run> ...] [--num=2000] [--seed=0] [--step=S]
"""

from __future__ import annotations

import sys

import numpy as np

from experiments import probe_codes
from gengan_jax.core import train_state as ts
from gengan_jax.data import toy_mixture
from gengan_jax.use.loading import load

USAGE = ("usage: python -m experiments.probe_mmd_critic <run> [<run> ...] [--num=N] "
         "[--seed=S] [--step=STEP]")
HEADER = ("| run | feature sd | bandwidths | affine share | neighbours apart | folded "
          "| off-mode | off / on in features | misses on folded segments (segments) |\n"
          "|---|---|---|---|---|---|---|---|---|")
FOLDED = 0.2
SEGMENT_WIDTH = 0.3


def neighbour_pairs(means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Index pairs ``(i, j)``, ``i < j``, of the modes at the smallest spacing."""
  d = np.linalg.norm(means[:, None] - means[None], axis=-1)
  i, j = np.where(np.isclose(d, d[d > 0].min()) & (np.arange(len(means))[:, None]
                                                   < np.arange(len(means))[None]))
  return i, j


def folded(mean_features: np.ndarray, pairs: tuple[np.ndarray, np.ndarray],
           fraction: float = FOLDED) -> np.ndarray:
  """Per pair, whether its modes' features lie closer than ``fraction`` of the median."""
  i, j = pairs
  apart = np.linalg.norm(mean_features[i] - mean_features[j], axis=-1)
  return apart < fraction * np.median(apart)


def nearest_segment(points: np.ndarray, means: np.ndarray,
                    pairs: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
  """Each point's nearest segment between a pair of modes, and its distance to it."""
  p, q = means[pairs[0]], means[pairs[1]]
  t = np.clip(np.einsum("nkd,kd->nk", points[:, None] - p[None], q - p)
              / np.sum((q - p) ** 2, -1), 0.0, 1.0)
  d = np.linalg.norm(points[:, None] - (p[None] + t[..., None] * (q - p)[None]), axis=-1)
  k = np.argmin(d, 1)
  return k, d[np.arange(len(points)), k]


def affine_share(x: np.ndarray, features: np.ndarray) -> float:
  """The share of ``features``' total variance that an affine function of ``x`` explains."""
  a = np.c_[x, np.ones(len(x))]
  coef, *_ = np.linalg.lstsq(a, features, rcond=None)
  return float(1.0 - (features - a @ coef).var(0).sum() / features.var(0).sum())


def probe(run: str, num: int = 2000, seed: int = 0, step: int | None = None) -> dict:
  """The row of one run (see the module docstring), at its checkpoint of ``step``
  (default: the newest good one)."""
  model = load(run, step)
  if model.algorithm.name != "mmd_gan":
    raise SystemExit(f"probe_mmd_critic: {run} is a {model.algorithm.name} run; "
                     "the probe reads an mmd_gan run's critic.")
  if model.config.data.source != "toy":
    raise SystemExit(f"probe_mmd_critic: {run} trained on {model.config.data.name!r}; "
                     "the probe reads the ring or the grid.")
  state = model.state
  if state.config.pack != 1:
    raise SystemExit(f"probe_mmd_critic: {run} packs {state.config.pack} points per critic "
                     "input; the probe reads an unpacked critic (pack=1).")
  mixture = toy_mixture(model.config.data.name)
  means = mixture.means.astype(np.float32)
  rng = np.random.default_rng(seed)
  modes = rng.integers(mixture.num_modes, size=num)
  x = (means[modes] + mixture.std * rng.standard_normal((num, 2))).astype(np.float32)

  def features(v):
    return np.asarray(ts.forward(state.critic, np.asarray(v, np.float32), train=False))

  fx, fm = features(x), features(means)
  samples = np.asarray(model.sample(num, seed=seed))
  fs = features(samples)
  pairs = neighbour_pairs(means)
  is_folded = folded(fm, pairs)
  to_mode, _ = probe_codes.nearest_distances(samples, means, exclude_self=False)
  off = to_mode > 3 * mixture.std
  in_features, _ = probe_codes.nearest_distances(fs, fm, exclude_self=False)
  segment, distance = nearest_segment(samples[off], means, pairs)
  near = distance < SEGMENT_WIDTH
  return {
      "run": run, "step": model.step, "bandwidths": tuple(state.config.kernel_scales),
      "feature_sd": float(fx.std(0).mean()),
      "affine_share": affine_share(x, fx),
      "neighbours_apart": float(np.median(np.linalg.norm(fm[pairs[0]] - fm[pairs[1]], axis=-1))),
      "folded": int(is_folded.sum()), "pairs": len(is_folded),
      "off_mode": float(off.mean()),
      "off_in_features": float(np.median(in_features[off])) if off.any() else float("nan"),
      "on_in_features": float(np.median(in_features[~off])) if (~off).any() else float("nan"),
      "misses_on_folded": float(is_folded[segment[near]].mean()) if near.any() else float("nan"),
      "folded_segments": float(is_folded.mean()),
  }


def row(r: dict) -> str:
  bandwidths = ", ".join(f"{b:g}" for b in r["bandwidths"])
  return (f"| {r['run']} @ {r['step']} | {r['feature_sd']:.3g} | {bandwidths} "
          f"| {r['affine_share']:.2f} | {r['neighbours_apart']:.3g} "
          f"| {r['folded']} of {r['pairs']} | {100 * r['off_mode']:.1f}% "
          f"| {r['off_in_features']:.3g} / {r['on_in_features']:.3g} "
          f"| {100 * r['misses_on_folded']:.0f}% ({100 * r['folded_segments']:.0f}%) |")


def main(argv: list[str]) -> None:
  probe_codes.print_rows(argv, "probe_mmd_critic", USAGE, HEADER, probe, row)

if __name__ == "__main__":
  main(sys.argv[1:])
