r"""Does an auto-encoder's code discriminator still tell its codes from the prior?

An AAE (and WAE-GAN, the same game with a weight) matches its codes to the
prior ``N(0, I)`` through a discriminator ``C`` that tells prior draws (its
real class) from codes ``z_tilde ~ q(z | x)`` (its fake class). A ``C`` that
sits at chance can mean two things: the codes match the prior, or ``C`` has
stopped seeing the difference. This probe tells them apart on the ring or
the grid. For each trained run (a run directory, or a population member's
``<workdir>/members/<i>``) it prints one table row:

* **fresh critic**: a new discriminator of the run's own widths (ReLU MLP),
  trained from scratch for ``--steps`` steps on the GAN loss to tell prior
  draws from the run's codes of fresh mixture draws, with the codes frozen
  (Adam 1e-3, beta 0.5 / 0.9, batch 256), then its Jensen-Shannon estimate
  ``(log 4 - L_D) / 2`` in nats on held-out prior draws and codes, one per
  critic seed (:func:`gengan_jax.metrics.divergence_critics.estimate_divergence`,
  objective ``'gan'``). 0 when the codes are prior draws; ``log 2 = 0.693``
  when the two sets are told apart perfectly;
* **the run's own C**: the same estimate from the run's trained ``C`` on the
  same held-out points: the two agree when ``C`` has kept up with the codes;
* **C's logit sd**: the standard deviation of ``C``'s logits over the held-out
  prior draws: how far from a constant ``C`` is (a constant gives the
  encoder no gradient);
* **C on prior / on codes**: its mean probability on each set (``0.5 / 0.5``
  is chance).

Usage::

  python -m experiments.probe_code_discriminator <run> [<run> ...] [--steps=3000]
      [--seeds=2] [--num=5000] [--step=S]

``--step`` reads each run at the checkpoint of step ``S`` (default: its
newest good one).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from gengan_jax.algorithms import aae
from gengan_jax.core import train_state as ts
from gengan_jax.data import toy_mixture
from gengan_jax.metrics import critic as critic_lib
from gengan_jax.metrics import divergence_critics
from gengan_jax.train.cli import user_errors
from gengan_jax.use.loading import load

USAGE = ("usage: python -m experiments.probe_code_discriminator <run> [<run> ...] "
         "[--steps=3000] [--seeds=2] [--num=5000] [--step=S]")
# Each algorithm's code discriminator (prior draws real, codes fake): its state field,
# which is also the prefix of its config's widths ("<field>_hidden").
DISCRIMINATORS = {"aae": "code_discriminator", "wae_gan": "latent_discriminator"}
HEADER = ("| run | algorithm | JS(codes, prior), fresh critic | JS, the run's own C "
          "| C's logit sd | C on prior / on codes |\n|---|---|---|---|---|---|")
TRAIN_PRIOR_DRAWS = 20000  # the fresh critic's real class


def js_estimate(prior_logits: np.ndarray, code_logits: np.ndarray) -> float:
  """``(log 4 - L_D) / 2`` nats: the GAN discriminator loss ``L_D`` of logits on prior
  draws (real) and codes (fake), read as a Jensen-Shannon estimate (the
  fresh critic's estimate, :func:`divergence_critics.critic_objective`)."""
  return divergence_critics.critic_objective("gan").estimate(prior_logits, code_logits)


def code_sampler(mixture, encode: Callable[[jax.Array, jax.Array], jax.Array]
                 ) -> Callable[[jax.Array, int], np.ndarray]:
  """``(key, n) -> [n, K]`` codes ``encode(x, key)`` of ``n`` fresh draws ``x`` of ``mixture``
  (:meth:`~gengan_jax.data.GaussianMixture.sample`, its numpy generator seeded from ``key``)."""
  jitted = jax.jit(encode)

  def sample(key, n):
    k_data, k_code = jax.random.split(key)
    rng = np.random.default_rng(np.asarray(jax.random.key_data(k_data)))
    return np.asarray(jitted(jnp.asarray(mixture.sample(rng, n)), k_code))

  return sample


def compare(sample_codes: Callable[[jax.Array, int], np.ndarray],
            own_logits: Callable[[np.ndarray], np.ndarray], latent_dim: int,
            hidden: tuple[int, ...], *, steps: int, seeds: int, num: int,
            seed: int = 0) -> dict:
  """The fresh critic's and the run's own estimates on the same held-out points.

  Args:
    sample_codes: ``(key, n) -> [n, K]`` codes of fresh data.
    own_logits: the run's ``C``, ``[n, K] -> [n]`` logits.
    latent_dim: ``K``.
    hidden: the fresh critic's hidden widths.
    steps, seeds: the fresh critic's steps, and how many critics (seeds).
    num: held-out prior draws and codes for every estimate.
    seed: the probe's seed (prior draws, codes, critics).

  Returns:
    ``{'fresh': [JS per critic seed], 'own': JS, 'logit_sd': float, 'c_prior': float,
    'c_codes': float}`` (see the module docstring).
  """
  key = jax.random.key(seed)
  k_train, k_valid, k_codes, k_critic = jax.random.split(key, 4)
  train = np.asarray(jax.random.normal(k_train, (TRAIN_PRIOR_DRAWS, latent_dim)))
  valid = np.asarray(jax.random.normal(k_valid, (num, latent_dim)))
  settings = critic_lib.IndependentCritic(hidden=tuple(hidden), learning_rate=1e-3, b1=0.5,
                                          b2=0.9, batch_size=256)
  fresh = divergence_critics.estimate_divergence(
      "gan", train, valid, sample_codes, k_critic, steps=steps, num_seeds=seeds,
      critic=settings, eval_size=num)
  prior_logits = np.asarray(own_logits(valid))
  code_logits = np.asarray(own_logits(sample_codes(k_codes, num)))
  sigmoid = lambda v: 1 / (1 + np.exp(-v.astype(np.float64)))  # noqa: E731
  return {"fresh": [float(v) for v in fresh.values],
          "own": js_estimate(prior_logits, code_logits),
          "logit_sd": float(prior_logits.std()),
          "c_prior": float(sigmoid(prior_logits).mean()),
          "c_codes": float(sigmoid(code_logits).mean())}


def probe(run: str, *, steps: int = 3000, seeds: int = 2, num: int = 5000,
          step: int | None = None) -> dict:
  """The row of one run (see the module docstring)."""
  model = load(run, step)
  name, state, cfg = model.algorithm.name, model.state, model.state.config
  if name not in DISCRIMINATORS:
    raise SystemExit(f"probe_code_discriminator: {run} is a {name} run; the probe reads "
                     f"runs with a code discriminator: {', '.join(sorted(DISCRIMINATORS))}.")
  if model.config.data.source != "toy":
    raise SystemExit(f"probe_code_discriminator: {run} trained on "
                     f"{model.config.data.name!r}; the probe reads the ring or the grid.")
  discriminator = getattr(state, DISCRIMINATORS[name])
  hidden = getattr(cfg, DISCRIMINATORS[name] + "_hidden")

  def encode(x, key):
    return aae.codes(cfg, lambda v: ts.forward(state.encoder, v, train=False), x, key)

  own = jax.jit(lambda z: ts.forward(discriminator, z, train=False))
  row = compare(code_sampler(toy_mixture(model.config.data.name), encode),
                lambda z: own(jnp.asarray(z)), cfg.latent_dim, hidden, steps=steps,
                seeds=seeds, num=num)
  return {"run": run, "step": model.step, "algorithm": name, **row}


def row(r: dict) -> str:
  fresh = " / ".join(f"{v:.3f}" for v in r["fresh"])
  return (f"| {r['run']} @ {r['step']} | {r['algorithm']} | {fresh} | {r['own']:.3f} "
          f"| {r['logit_sd']:.3f} | {r['c_prior']:.2f} / {r['c_codes']:.2f} |")


def main(argv: list[str]) -> None:
  parser = argparse.ArgumentParser(usage=USAGE, add_help=False)
  parser.add_argument("runs", nargs="*")
  parser.add_argument("--steps", type=int, default=3000)
  parser.add_argument("--seeds", type=int, default=2)
  parser.add_argument("--num", type=int, default=5000)
  parser.add_argument("--step", type=int, default=None)
  args, unknown = parser.parse_known_args(argv)
  if unknown or not args.runs or min(args.steps, args.seeds, args.num) < 1:
    raise SystemExit(USAGE)
  print(HEADER)
  for run in args.runs:
    try:
      r = probe(run, steps=args.steps, seeds=args.seeds, num=args.num, step=args.step)
    except user_errors() as e:  # a missing run or step, a damaged or foreign checkpoint
      raise SystemExit(f"probe_code_discriminator: {e}") from None
    print(row(r), flush=True)


if __name__ == "__main__":
  main(sys.argv[1:])
