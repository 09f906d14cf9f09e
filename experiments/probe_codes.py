r"""Where an auto-encoding model's codes lie on a 2-D mixture, and where its prior draws fall.

A diagnostic of alpha-GAN's wide-latent cloud on the grid (docs/results.md, "Where
alpha-GAN's grid samples go"): for each trained run (a run directory, or a
population member's ``<workdir>/members/<i>``) of an algorithm with an
encoder, on the ring or the grid, it prints one table row:

* **code noise**: how random the encoder is, the standard deviation of
  ``z ~ q(z | x)`` over the encoder's own noise for a fixed ``x``, averaged
  over the code's dimensions and the mixture's means (0 for a deterministic
  encoder; the mean ``sigma(x)`` of a Gaussian one, the VAE family's
  posterior included; over ``eta`` for a universal one,
  :mod:`gengan_jax.algorithms.aae`, and over ``eps`` for AVB's implicit
  ``E(x, eps)``);
* **code spread**: the standard deviation over the mixture's means of their
  codes (``encode``), averaged over the dimensions: a random encoder whose
  noise is far below this spread is deterministic in effect;
* **1-NN purity**: the share of ``--num`` data points whose nearest other
  code belongs to a point of the same mode;
* **prior to code / code to code**: the median distance from a prior draw
  ``z ~ N(0, I)`` to its nearest code, and from a code to its nearest other
  code. The generator learns to reconstruct only near codes; a prior draw
  far from all of them is decoded where reconstruction never taught it;
* **code width**: the standard deviation of one mode's codes, averaged over
  the code's dimensions and the modes: set against *prior to code*, how much
  of the code space the modes' codes fill (the nearest other code alone
  cannot tell a point from a cluster: ``--num`` codes in ``K`` dimensions lie
  closer together the more there are);
* **gain at codes / at prior draws**: the median spectral norm of the
  decoder's Jacobian ``dG/dz`` at codes and at prior draws (the first
  ``GAIN_POINTS`` of each): how far a step in the code space moves the
  sample. A prior draw at distance ``d`` from the nearest code lands about
  ``gain * d`` from where that code decodes;
* **x linear in its code**: the R^2 of the least-squares affine fit of the
  data from their codes (per coordinate of ``x``, the smaller one): 1 when a
  linear map decodes every code exactly. Telling only while the code has
  fewer dimensions than the mixture has modes: an affine map of a K-D code
  fits any K + 1 tight clusters exactly (the grid's 25 at a 32-D code);
* **G(z) linear in z**: the same fit of ``G(z)`` from prior draws ``z``: the
  share of the samples' variance that an affine function of ``z`` explains.
  A linear ``G`` maps the Gaussian prior to a Gaussian: a cloud;
* **high quality**: the share of ``G(z)`` within 3 standard deviations of a
  mode.

``G`` is the sampling network; a likelihood decoder (the VAE family, AVB)
is read through the mean of its ``p(x | z)``. The prior draws are
``N(0, I)``, which is the prior of every model here except the learned
priors of the flow-prior and VampPrior VAEs (for those the two columns
that use prior draws describe ``N(0, I)``, not their prior); the high
quality column uses the model's own samples.

Usage::

  python -m experiments.probe_codes <run> [<run> ...] [--num=2000] [--seed=0] [--step=S]

``--step`` reads each run at the checkpoint of step ``S`` (default: its
newest good one), to compare a run with itself earlier in training; the
run column names the step read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from gengan_jax import losses
from gengan_jax.algorithms import aae, ali, avb, vae
from gengan_jax.core import train_state as ts
from gengan_jax.data import toy_mixture
from gengan_jax.use.export import sampling_network
from gengan_jax.train.cli import user_errors
from gengan_jax.use.loading import load

USAGE = ("usage: python -m experiments.probe_codes <run> [<run> ...] [--num=N] [--seed=S] "
         "[--step=STEP]")
HEADER = ("| run | latent | encoder | code noise | code spread | 1-NN purity "
          "| prior to code / code to code | code width | gain at codes / at prior draws "
          "| x linear in its code | G(z) linear in z "
          "| high quality |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
GAIN_POINTS = 500


def nearest_distances(a: np.ndarray, b: np.ndarray, *, exclude_self: bool) -> tuple:
  """For each row of ``a``: the distance to its nearest row of ``b`` and that row's index."""
  d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
  if exclude_self:
    np.fill_diagonal(d2, np.inf)
  nearest = np.argmin(d2, axis=1)
  return np.sqrt(d2[np.arange(len(a)), nearest]), nearest


def linear_r2(inputs: np.ndarray, outputs: np.ndarray) -> float:
  """R^2 of the least-squares affine fit of ``outputs`` ``[N, D]`` from ``inputs``
  ``[N, K]``: the smallest over the ``D`` output coordinates."""
  design = np.concatenate([inputs, np.ones((len(inputs), 1))], axis=1).astype(np.float64)
  outputs = np.asarray(outputs, np.float64)
  coef, *_ = np.linalg.lstsq(design, outputs, rcond=None)
  residual = ((outputs - design @ coef) ** 2).sum(0)
  return float((1 - residual / ((outputs - outputs.mean(0)) ** 2).sum(0)).min())


def code_width(codes: np.ndarray, modes: np.ndarray) -> float:
  """The standard deviation of each mode's codes, averaged over the code's
  dimensions and the modes that have at least two points."""
  labels, counts = np.unique(modes, return_counts=True)
  return float(np.mean([codes[modes == k].std(axis=0).mean() for k in labels[counts > 1]]))


def decoder_gains(decode, z: np.ndarray) -> np.ndarray:
  """The spectral norm of the Jacobian of ``decode`` (``[N, K] -> [N, D]``,
  each row decoded on its own) at each row of ``z``: ``[N]``."""
  jacobian = jax.jit(jax.vmap(jax.jacfwd(lambda v: decode(v[None])[0])))
  return np.linalg.norm(np.asarray(jacobian(jnp.asarray(z))), ord=2, axis=(1, 2))


def encoder_kind(state) -> str:
  """The encoder column: ``implicit`` for AVB's ``E(x, eps)``; ``gaussian``
  for the VAE family's posterior; otherwise an AAE-style config's
  ``encoder`` (deterministic, gaussian, universal), else deterministic."""
  cfg = state.config
  if isinstance(cfg, avb.Config):
    return "implicit"
  if isinstance(cfg, vae.BaseConfig):
    return "gaussian"
  return getattr(cfg, "encoder", "deterministic")


def code_noise(state, means: np.ndarray, draws: int, key: jax.Array) -> float:
  """Standard deviation of ``q(z | x)`` over the encoder's noise, for ``x`` at each mean."""
  cfg, kind = state.config, encoder_kind(state)
  if kind == "deterministic":
    return 0.0
  x = jnp.asarray(np.repeat(means, draws, axis=0), jnp.float32)
  encoder = lambda v: ts.forward(state.encoder, v, train=False)  # noqa: E731
  if kind == "implicit":  # AVB: z = E(x, eps), eps ~ N(0, I)
    z = encoder((x, jax.random.normal(key, (x.shape[0], cfg.noise_dim))))
  elif isinstance(cfg, vae.BaseConfig):  # the VAE family: q(z | x) = N(mu(x), sigma(x)^2)
    z = losses.gaussian_sample(key, *encoder(x))
  elif isinstance(cfg, ali.Config):  # ALI's (and BiGAN's) posterior sample
    z = ali.posterior_sample(cfg, encoder, x, key)
  else:
    z = aae.codes(cfg, encoder, x, key)
  return float(np.asarray(z).reshape(len(means), draws, -1).std(axis=1).mean())


def probe(run: str, num: int = 2000, seed: int = 0, step: int | None = None) -> dict:
  """The row of one run (see the module docstring), at its checkpoint of ``step``
  (default: the newest good one)."""
  model = load(run, step)
  alg, state = model.algorithm, model.state
  if alg.encode is None:
    raise SystemExit(f"probe_codes: {run} is a {alg.name} run, which has no encoder.")
  data = model.config.data.name
  if model.config.data.source != "toy":
    raise SystemExit(f"probe_codes: {run} trained on {data!r}; "
                     "the probe reads the ring or the grid.")
  mixture = toy_mixture(data)
  rng = np.random.default_rng(seed)
  modes = rng.integers(mixture.num_modes, size=num)
  x = (mixture.means[modes] + mixture.std * rng.standard_normal((num, 2))).astype(np.float32)
  codes = np.asarray(model.encode(x))
  means = mixture.means.astype(np.float32)
  key_noise, key_prior = jax.random.split(jax.random.key(seed))
  own, nearest = nearest_distances(codes, codes, exclude_self=True)
  prior = np.asarray(jax.random.normal(key_prior, (num, codes.shape[1])))
  from_prior, _ = nearest_distances(prior, codes, exclude_self=False)
  samples = model.sample(num, seed=seed)
  decoder = getattr(state, sampling_network(state))  # an AAE's 'decoder', a GAN's 'generator'

  def decode(z):
    out = ts.forward(decoder, z, train=False)
    if isinstance(out, (tuple, list)):  # a likelihood decoder's parameters: the mean of p(x | z)
      return vae.observation(state.config).mean(out)
    return out

  generated = np.asarray(decode(jnp.asarray(prior)))
  # One compiled Jacobian for both sets of points: codes first, then prior draws.
  n = min(num, GAIN_POINTS)
  gains = decoder_gains(decode, np.concatenate([codes[:n], prior[:n]]))
  to_mode, _ = nearest_distances(samples, means, exclude_self=False)
  return {
      "run": run,
      "step": model.step,
      "latent": codes.shape[1],
      "encoder": encoder_kind(state),
      "code_noise": code_noise(state, means, 200, key_noise),
      "code_spread": float(np.asarray(model.encode(means)).std(axis=0).mean()),
      "purity": float((modes[nearest] == modes).mean()),
      "prior_to_code": float(np.median(from_prior)),
      "code_to_code": float(np.median(own)),
      "code_width": code_width(codes, modes),
      "gain_at_codes": float(np.median(gains[:n])),
      "gain_at_prior": float(np.median(gains[n:])),
      "x_linear_in_code": linear_r2(codes, x),
      "g_linear_in_z": linear_r2(prior, generated),
      "high_quality": float((to_mode <= 3 * mixture.std).mean()),
  }


def row(r: dict) -> str:
  return (f"| {r['run']} @ {r['step']} | {r['latent']} | {r['encoder']} | {r['code_noise']:.3g} "
          f"| {r['code_spread']:.3g} | {r['purity']:.2f} "
          f"| {r['prior_to_code']:.3g} / {r['code_to_code']:.3g} | {r['code_width']:.3g} "
          f"| {r['gain_at_codes']:.2g} / {r['gain_at_prior']:.2g} | {r['x_linear_in_code']:.3f} "
          f"| {r['g_linear_in_z']:.2f} | {100 * r['high_quality']:.1f}% |")


def print_rows(argv: list[str], name: str, usage: str, header: str,
               probe_run: Callable[[str, int, int, int | None], dict],
               format_row: Callable[[dict], str]) -> None:
  """The command line shared by the probes of trained runs: ``<run> [<run> ...]
  [--num=N] [--seed=S] [--step=STEP]``, one table row per run (``probe_run(run,
  num, seed, step)``, then ``format_row``), a run's error as one line named ``name``."""
  parser = argparse.ArgumentParser(usage=usage, add_help=False)
  parser.add_argument("runs", nargs="*")
  parser.add_argument("--num", type=int, default=2000)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--step", type=int, default=None)
  args, unknown = parser.parse_known_args(argv)
  if unknown or not args.runs or args.num < 2:
    raise SystemExit(usage)
  print(header)
  for run in args.runs:
    try:
      print(format_row(probe_run(run, args.num, args.seed, args.step)), flush=True)
    except user_errors() as e:  # a missing run or step, a damaged or foreign checkpoint
      raise SystemExit(f"{name}: {e}") from None


def main(argv: list[str]) -> None:
  print_rows(argv, "probe_codes", USAGE, HEADER, probe, row)


if __name__ == "__main__":
  main(sys.argv[1:])
