"""The independent Wasserstein critic of a run (Danihelka et al. 2017).

A WGAN-GP critic trained from scratch on real data against the run's
samples, measured on real data it did not train on
(:func:`gengan_jax.metrics.critic.train_independent_critic`): its negative
Wasserstein estimate ``-W`` compares any two models, with or without a
likelihood, on one axis. Images use a DCGAN critic without batch norm on the
held-out split's two halves; a mixture of Gaussians an MLP critic on two sets
of fresh draws from the mixture (held out by construction).
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from gengan_jax.evaluate import _json
from gengan_jax.metrics import critic

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
  network = (f"DCGAN critic without batch norm, {settings.base_features} base features"
             if settings.arch == "dcgan" else
             f"MLP critic, hidden {tuple(settings.hidden)}, no batch norm")
  return {"train_data": train_desc, "valid_data": valid_desc, "network": network,
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
