"""The independent critics of a run (Danihelka et al. 2017; Im et al. 2018).

A WGAN-GP critic trained from scratch on real data against the run's
samples, measured on real data it did not train on
(:func:`gengan_jax.metrics.critic.train_independent_critic`): its negative
Wasserstein estimate ``-W`` compares any two models, with or without a
likelihood, on one axis. Images use a DCGAN critic without batch norm on the
held-out split's two halves; a mixture of Gaussians an MLP critic on two sets
of fresh draws from the mixture (held out by construction).

:func:`evaluate_divergence_critics` trains, on the same data, one critic per
training objective of Im et al. (2018): the GAN (Jensen-Shannon), least
squares (Pearson chi^2 from the mixture), WGAN-GP (Wasserstein-1) and
learned-kernel MMD critics of
:mod:`gengan_jax.metrics.divergence_critics`, each over a few critic seeds,
and reports each divergence estimate with its spread (lower is better for
all four).
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from gengan_jax.evaluate import _json
from gengan_jax.evaluate.loading import held_out_images
from gengan_jax.metrics import critic
from gengan_jax.metrics import divergence_critics

# The critic of each kind of data (the MLP is WGAN-GP's toy critic, 3 x 128).
IMAGE_CRITIC = critic.IndependentCritic(arch="dcgan")
MIXTURE_CRITIC = critic.IndependentCritic(arch="mlp", hidden=(128, 128, 128))


def evaluate_critic(exp: Any, state: Any, key: jax.Array, *, train: np.ndarray,
                    valid: np.ndarray, steps: int, settings: critic.IndependentCritic,
                    train_desc: str, valid_desc: str) -> tuple[dict, critic.CriticHistory]:
  """Trains the independent critic on ``train`` vs samples; measures on ``valid``.

  Args:
    exp: the run's experiment.
    state: its restored state (on the run's mesh; samples come to the host).
    key: the critic's key (its initialisation, batches and samples).
    train, valid: ``[N, ...]`` real data, in ``[-1, 1]`` for images.
    steps: critic steps.
    settings: the critic's network and optimiser.
    train_desc, valid_desc: what ``train`` and ``valid`` are, for the JSON.

  Returns:
    ``(metrics, history)``: the JSON-able settings and ``-W`` curves, and the
    :class:`~gengan_jax.metrics.critic.CriticHistory` for the picture.
  """
  jitted_sample = jax.jit(exp.algorithm.sample, static_argnums=2)
  sample_fn = lambda k, n: np.asarray(jitted_sample(state, k, n))  # noqa: E731
  history = critic.train_independent_critic(train, valid, sample_fn, key, steps=steps,
                                            critic=settings)
  return {"train_data": train_desc, "valid_data": valid_desc,
          "network": describe_network(settings),
          "batch_size": settings.batch_size, "learning_rate": settings.learning_rate,
          "gradient_penalty_weight": settings.gradient_penalty_weight,
          **_json.jsonable(history.as_dict())}, history


def evaluate_mixture_critic(exp: Any, state: Any, key: jax.Array, *, steps: int,
                            num_examples: int, seed: int) -> tuple[dict, critic.CriticHistory]:
  """:func:`evaluate_critic` on a mixture of Gaussians: :data:`MIXTURE_CRITIC`
  trained on ``num_examples`` fresh draws from the mixture, measured on as
  many others (numpy seed ``[seed, 18]``)."""
  rng = np.random.default_rng([seed, 18])
  train, valid = (np.asarray(exp.dataset.mixture.sample(rng, num_examples), np.float32)
                  for _ in range(2))
  return evaluate_critic(exp, state, key, train=train, valid=valid, steps=steps,
                         settings=MIXTURE_CRITIC,
                         train_desc=f"{num_examples} fresh draws from the mixture",
                         valid_desc=f"{num_examples} other fresh draws")


def describe_network(settings: critic.IndependentCritic) -> str:
  """The critic network in words, for the JSON."""
  return (f"DCGAN critic without batch norm, {settings.base_features} base features"
          if settings.arch == "dcgan" else
          f"MLP critic, hidden {tuple(settings.hidden)}, no batch norm")


def evaluate_divergence_critics(exp: Any, state: Any, key: jax.Array, *, steps: int,
                                num_seeds: int, seed: int, num_examples: int = 2500,
                                eval_size: int = 1000,
                                objectives: tuple[str, ...] = tuple(
                                    divergence_critics.OBJECTIVES)) -> dict:
  """Im et al.'s four divergence critics of a run, each over ``num_seeds`` critic seeds.

  The data are those of the independent critic: for images the held-out
  split's first half to train on and its second half for the estimates
  (:func:`~gengan_jax.evaluate.loading.held_out_images`; without a held-out
  split, the training data), with :data:`IMAGE_CRITIC`'s network and
  optimiser; for a mixture of Gaussians ``num_examples`` fresh draws to train
  on and as many others for the estimates (numpy seed ``[seed, 19]``), with
  :data:`MIXTURE_CRITIC`'s.

  Args:
    exp: the run's experiment.
    state: its restored state.
    key: the critics' key (their initialisation, batches and samples).
    steps: critic steps per seed.
    num_seeds: critics per objective.
    seed: the evaluation's seed (the mixture's fresh draws).
    num_examples: fresh draws per set for a mixture.
    eval_size: examples and samples per estimate.
    objectives: names of :data:`gengan_jax.metrics.divergence_critics.OBJECTIVES`.

  Returns:
    The JSON-able settings and, under ``estimates``, one
    :meth:`~gengan_jax.metrics.divergence_critics.DivergenceEstimate.as_dict`
    per objective (``mean``, ``std`` over seeds, the per-seed ``values``).
  """
  if hasattr(exp.dataset, "mixture"):
    rng = np.random.default_rng([seed, 19])
    train, valid = (np.asarray(exp.dataset.mixture.sample(rng, num_examples), np.float32)
                    for _ in range(2))
    settings = MIXTURE_CRITIC
    train_desc = f"{num_examples} fresh draws from the mixture"
    valid_desc = f"{num_examples} other fresh draws"
  else:
    real, real_desc, _ = held_out_images(exp.config, exp.dataset)
    half = len(real) // 2
    train, valid = real[:half], real[half:]
    settings = IMAGE_CRITIC
    train_desc = f"first {half} of the {real_desc}"
    valid_desc = f"the other {len(real) - half}"
  jitted_sample = jax.jit(exp.algorithm.sample, static_argnums=2)
  sample_fn = lambda k, n: np.asarray(jitted_sample(state, k, n))  # noqa: E731
  estimates = divergence_critics.estimate_divergences(
      train, valid, sample_fn, key, steps=steps, objectives=objectives, num_seeds=num_seeds,
      critic=settings, eval_size=min(eval_size, len(valid)))
  return {"train_data": train_desc, "valid_data": valid_desc,
          "network": describe_network(settings), "steps": steps, "num_seeds": num_seeds,
          "batch_size": settings.batch_size, "learning_rate": settings.learning_rate,
          "eval_size": min(eval_size, len(valid)),
          "estimates": {k: _json.jsonable(v.as_dict()) for k, v in estimates.items()}}
