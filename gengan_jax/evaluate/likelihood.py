"""Held-out likelihood of a model that has one: the bound, the ELBO, bits/dim, ELBO surgery.

Generic over the contract: every algorithm with ``log_likelihood(state, x,
key)`` (per example, nats; exact, or a bound named as such) gets its mean
over held-out data, with its standard error. Three optional refinements,
read off the algorithm's module where it defines them:

* a ``num_samples`` keyword of ``log_likelihood``: the function is an
  importance-weighted bound with that many draws (Burda et al. 2016); the
  evaluation reports ``k = 1`` (the ELBO) and ``k = likelihood_samples``
  (default 1,000) on the same data (the same binarisation: the same keys);
* ``log_likelihood_space(config)``: ``'binary'`` (a probability of binarised
  pixels: nats per image are the convention, no bits/dim), ``'8-bit'`` (a
  probability of 256-level pixels: ``bits/dim = -log P / (D log 2)``) or
  ``'continuous'`` (the default: a density on ``[-1, 1]``; for images of
  256 levels ``bits/dim`` adds ``log2(256 / 2) = 7``, the dequantisation
  correction of :func:`gengan_jax.metrics.bits_per_dim`);
* ``posterior(state, x, key)`` -> ``(mean, log_scale)`` of a Gaussian
  ``q(z | x)``: the ELBO surgery of Hoffman & Johnson 2016
  (:func:`gengan_jax.metrics.elbo_surgery`) on the same held-out examples,
  against ``N(0, I)``, or against the model's own prior where the module
  defines ``log_prior(state, z)`` (a flow prior: the KL by Monte Carlo).

Held-out data: the test split of images (:func:`.loading.held_out_images`),
or fresh draws from a mixture of Gaussians (held out by construction), where
the mixture's own mean log-density of the same draws is the reference
(``data_log_density``: the most any model can score, in expectation).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gengan_jax import data, metrics
from gengan_jax.evaluate.loading import held_out_images
from gengan_jax.metrics.elbo_surgery import log_aggregate_posterior

# The evaluation's k of an importance-weighted bound (Burda et al. report 5,000).
DEFAULT_LIKELIHOOD_SAMPLES = 1000
# Examples per compiled call (one shape: the last batch is padded).
BATCH = 100
# Fresh draws from a mixture of Gaussians (the VEEGAN/PacGAN sample count).
MIXTURE_EXAMPLES = 2500


def _held_out(exp: Any, seed: int) -> tuple[np.ndarray, str]:
  if isinstance(exp.dataset, data.MixtureDataset):
    x = exp.dataset.mixture.sample(np.random.default_rng([seed, 17]), MIXTURE_EXAMPLES)
    return np.asarray(x, np.float32), f"{MIXTURE_EXAMPLES} fresh draws from the mixture"
  x, desc, _ = held_out_images(exp.config, exp.dataset)
  return np.asarray(x, np.float32), desc


def _batched(fn: Callable[[jax.Array, jax.Array], Any], x: np.ndarray,
             key: jax.Array) -> Any:
  """``fn(batch, fold_in(key, i))`` over batches of :data:`BATCH`, concatenated on the host."""
  out = []
  for i, start in enumerate(range(0, len(x), BATCH)):
    part = x[start:start + BATCH]
    pad = BATCH - len(part)
    if pad:
      part = np.concatenate([part, np.repeat(part[-1:], pad, axis=0)])
    res = jax.device_get(fn(jnp.asarray(part), jax.random.fold_in(key, i)))
    out.append(jax.tree.map(lambda a, n=BATCH - pad: np.asarray(a)[:n], res))
  return jax.tree.map(lambda *a: np.concatenate(a), *out)


def _summary(values: np.ndarray) -> dict:
  values = np.asarray(values, np.float64)
  return {"mean": float(values.mean()), "se": float(values.std() / math.sqrt(len(values)))}


def evaluate_likelihood(exp: Any, state: Any, key: jax.Array, *,
                        num_samples: int = DEFAULT_LIKELIHOOD_SAMPLES,
                        max_examples: int | None = None, seed: int = 0,
                        log: Callable[[str], None] = lambda s: None) -> dict:
  """The held-out likelihood numbers of a run (see the module docstring).

  Args:
    exp: the run's experiment; its algorithm has ``log_likelihood``.
    state: the restored state.
    key: the evaluation's key (batch ``i`` uses ``fold_in(key, i)``).
    num_samples: ``k`` of an importance-weighted bound.
    max_examples: evaluate at most this many held-out examples (the first).
    seed: seed of the mixture draws and of the ELBO surgery's draws.
    log: progress messages.

  Returns:
    :func:`held_out_likelihood`'s dict, with ``data`` (which held-out data)
    and, for a mixture, ``data_log_density`` (``mean``, ``se``: the
    mixture's own log-density of the same draws).
  """
  x, desc = _held_out(exp, seed)
  if max_examples is not None:
    x = x[:max_examples]
  out: dict[str, Any] = {"data": desc}
  if isinstance(exp.dataset, data.MixtureDataset):
    mix = exp.dataset.mixture
    out["data_log_density"] = _summary(log_aggregate_posterior(
        x, mix.means, np.full(mix.means.shape, math.log(mix.std))))
  out.update(held_out_likelihood(exp.algorithm, state, x, key, num_samples=num_samples,
                                 seed=seed, log=log))
  return out


def held_out_likelihood(algorithm: Any, state: Any, x: np.ndarray, key: jax.Array, *,
                        num_samples: int = DEFAULT_LIKELIHOOD_SAMPLES, seed: int = 0,
                        log: Callable[[str], None] = lambda s: None) -> dict:
  """The likelihood numbers of ``algorithm`` on data ``x`` (see the module docstring).

  Args:
    algorithm: a :class:`gengan_jax.core.Algorithm` with ``log_likelihood``.
    state: its state (on one device).
    x: ``[N, *data_shape]`` held-out data in ``[-1, 1]``.
    key: batch ``i`` of :data:`BATCH` examples uses ``fold_in(key, i)``, for
      the bound, the ELBO and the posteriors alike (the same binarisation).
    num_samples: ``k`` of an importance-weighted bound.
    seed: seed of the ELBO surgery's draws.
    log: progress messages.

  Returns:
    A JSON-able dict: ``num_examples``, ``log_likelihood`` (what the numbers
    are), ``space``, then ``elbo`` and ``iwae`` (each ``mean`` and ``se``,
    nats per example; ``iwae`` with ``k``) for a bound with a
    ``num_samples`` keyword, else ``log_likelihood_nats``; ``bits_per_dim``
    (images, unless binary); ``elbo_surgery`` where the model has a
    Gaussian ``posterior``.
  """
  fn = algorithm.log_likelihood
  module = algorithm.module
  x = np.asarray(x, np.float32)
  space = (module.log_likelihood_space(state.config)
           if hasattr(module, "log_likelihood_space") else "continuous")
  out: dict[str, Any] = {"num_examples": int(len(x)), "space": space}
  if "num_samples" in inspect.signature(fn).parameters:
    out["log_likelihood"] = ("importance-weighted lower bound (Burda et al. 2016): k = 1 is "
                             "the ELBO, k = iwae.k the tighter bound")
    log(f"held-out ELBO and IWAE bound (k = {num_samples}) on {len(x)} examples")
    for name, k in (("elbo", 1), ("iwae", num_samples)):
      step = jax.jit(lambda v, kk, k=k: fn(state, v, kk, num_samples=k))
      out[name] = _summary(_batched(step, x, key))
    out["iwae"]["k"] = int(num_samples)
    best = {"elbo": out["elbo"]["mean"], "iwae": out["iwae"]["mean"]}
  else:
    out["log_likelihood"] = (f"{algorithm.name}'s log_likelihood (exact, or a bound: see its "
                             "docstring)")
    log(f"held-out log-likelihood on {len(x)} examples")
    out["log_likelihood_nats"] = _summary(_batched(jax.jit(lambda v, kk: fn(state, v, kk)), x,
                                                   key))
    best = {"log_likelihood": out["log_likelihood_nats"]["mean"]}
  if x.ndim == 4:
    dims = int(np.prod(x.shape[1:]))
    if space == "binary":
      out["bits_per_dim"] = "not reported: binarised pixels (nats per image are the convention)"
    else:
      bins = None if space == "8-bit" else 256
      out["bits_per_dim"] = {
          name: float(metrics.bits_per_dim(jnp.asarray([v]), dims, data_range_bins=bins,
                                           data_range=2.0)[0]) for name, v in best.items()}
      out["bits_per_dim"]["correction"] = ("none: a probability of 256-level pixels"
                                           if bins is None else
                                           "+7 bits: a density on [-1, 1], 256 levels")
  if hasattr(module, "posterior"):
    log("ELBO surgery (Hoffman & Johnson 2016)")
    mean, log_scale = _batched(jax.jit(lambda v, kk: module.posterior(state, v, kk)), x, key)
    log_prior = None
    if hasattr(module, "log_prior"):
      prior_fn = jax.jit(lambda z, _: module.log_prior(state, z))
      log_prior = lambda z: _batched(prior_fn, np.asarray(z, np.float32), key)  # noqa: E731
    out["elbo_surgery"] = metrics.elbo_surgery(mean, log_scale, log_prior=log_prior,
                                               seed=seed).as_dict()
  return out
