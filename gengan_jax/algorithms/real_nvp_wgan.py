r"""Real NVP trained as a WGAN-GP generator.

Danihelka, Lakshminarayanan, Uria, Wierstra & Dayan, "Comparison of maximum
likelihood and GAN-based training of Real NVPs" (2017): the Real NVP of
:mod:`.real_nvp_mle` used as the generator ``x = T^{-1}(f^{-1}(z))``, ``z ~
N(0, I)``, and trained by WGAN-GP (Gulrajani et al. 2017, Algorithm 1)
against a critic without batch norm. The generator is still a flow, so its
likelihood stays exact and can be measured, although nothing trains it.

One ``train_step``:

1. ``n_critic`` critic updates, each on its own data batch ``x`` (on images
   dequantised afresh: the critic compares samples of the same continuous
   distribution the maximum-likelihood model fits) and fresh ``z`` and
   ``eps ~ U[0, 1]``: minimise
   ``f(G(z)) - f(x) + lambda (||grad f(x_hat)||_2 - 1)^2`` with
   ``x_hat = eps x + (1 - eps) G(z)``;
2. one generator (flow) update with fresh ``z``: minimise ``-f(G(z))``,
   the gradient passing through the flow's inverse (and ``T^{-1}``).

Defaults: ``n_critic = 5``, ``lambda = 10``, Adam (1e-4, 0.5, 0.9) for both
networks (Gulrajani et al.'s toy and MNIST settings).

Metrics: ``critic_loss``, ``gradient_penalty`` and ``wasserstein_estimate``
(``mean f(x) - mean f(G(z))``) of the last critic update (before it);
``generator_loss``; ``nll``, the flow's exact negative log-likelihood of the
last critic batch in nats (monitoring only: no gradient flows from it).

``log_likelihood(state, x, key)`` is exact, as for :mod:`.real_nvp_mle`.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp
from flax import struct

from gengan_jax import losses
from gengan_jax.algorithms import flow_data, networks
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, expect_batches
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import step_keys


@dataclasses.dataclass(frozen=True)
class Config(flow_data.FlowConfig):
  """Real NVP WGAN-GP hyper-parameters.

  Attributes:
    n_critic: critic updates per generator update (5).
    gradient_penalty_weight: lambda (10).
    generator_optimizer: Adam of the flow (1e-4, 0.5, 0.9; the flow is the
      generator, ``OPTIMIZER_FIELDS`` says so to
      :func:`~gengan_jax.core.optimizer_field`).
    critic_optimizer: Adam of the critic (1e-4, 0.5, 0.9).

  (and the flow's settings, :class:`~gengan_jax.algorithms.flow_data.FlowConfig`;
  the critic is the ``arch`` discriminator, ``hidden`` or ``base_features``
  wide, without batch norm)
  """

  OPTIMIZER_FIELDS: ClassVar[dict[str, str]] = {"flow": "generator_optimizer"}

  n_critic: int = 5
  gradient_penalty_weight: float = 10.0
  generator_optimizer: OptimizerConfig = OptimizerConfig(1e-4, 0.5, 0.9)
  critic_optimizer: OptimizerConfig = OptimizerConfig(1e-4, 0.5, 0.9)

  def __post_init__(self):
    super().__post_init__()
    check(self.n_critic >= 1, "n_critic", self.n_critic, "a positive integer")
    check(self.gradient_penalty_weight >= 0, "gradient_penalty_weight",
          self.gradient_penalty_weight, ">= 0")


class State(AlgorithmState):
  """The flow (the generator) and the critic; ``data_shape`` of one example."""

  flow: ts.TrainState
  critic: ts.TrainState
  data_shape: tuple[int, ...] = struct.field(pytree_node=False, default=())


def num_batches(config: Config) -> int:
  """Data batches per ``train_step``: one per critic update."""
  return config.n_critic


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the flow (the identity) and the critic."""
  flow_key, critic_key = jax.random.split(key)
  return State(
      step=jnp.zeros((), jnp.int32), config=config,
      flow=flow_data.flow(config, flow_key, example_batch, config.generator_optimizer),
      critic=networks.discriminator(config, critic_key, example_batch,
                                    config.critic_optimizer, use_batch_norm=False),
      data_shape=tuple(example_batch.shape[1:]))


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """``n_critic`` critic updates, then one flow update (Gulrajani et al., Algorithm 1).

  Args:
    state: the current state.
    batch: data of shape ``[n_critic, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  expect_batches(batch, cfg.n_critic, f"real_nvp_wgan with n_critic={cfg.n_critic}")
  n = batch.shape[1]
  keys = step_keys(key, state.step, "critic", "penalty", "dequantize", "generator")
  F = state.flow
  flow_fn = lambda v, **kw: ts.forward(F, v, **kw)  # noqa: E731

  def z_of(k):
    return jax.random.normal(k, (n,) + tuple(state.data_shape))

  # 1. The critic, n_critic times: dequantised data against fresh samples.
  def critic_update(C, inputs):
    x, z_key, p_key, d_key = inputs
    real = flow_data.to_continuous(cfg, x, d_key)
    fake = jax.lax.stop_gradient(flow_data.generate(cfg, flow_fn, z_of(z_key)))

    def loss_fn(c):
      real_f, fake_f = c(real), c(fake)
      penalty = losses.gradient_penalty(c, real, fake, p_key).mean()
      w_loss = losses.wasserstein_critic_loss(real_f, fake_f).mean()
      return w_loss + cfg.gradient_penalty_weight * penalty, (penalty, -w_loss, real)

    C, loss, (penalty, w_estimate, real) = ts.minimize(C, loss_fn)
    return C, ({"critic_loss": loss, "gradient_penalty": penalty,
                "wasserstein_estimate": w_estimate}, real)

  split = lambda k: jax.random.split(k, cfg.n_critic)  # noqa: E731
  C, (metrics, reals) = jax.lax.scan(
      critic_update, state.critic,
      (batch, split(keys["critic"]), split(keys["penalty"]), split(keys["dequantize"])))
  metrics = jax.tree.map(lambda v: v[-1], metrics)

  # 2. The flow, as a generator: one step on -f(G(z)).
  z = z_of(keys["generator"])

  def generator_loss_fn(f):
    fake = flow_data.generate(cfg, f, z)
    return losses.wasserstein_generator_loss(ts.forward(C, fake)).mean(), None

  metrics["nll"] = -flow_data.log_density(cfg, flow_fn, reals[-1]).mean()
  F, metrics["generator_loss"], _ = ts.minimize(F, generator_loss_fn)
  return state.replace(step=state.step + 1, flow=F, critic=C), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` samples ``T^{-1}(f^{-1}(z))``, ``z ~ N(0, I)`` (images quantised to 8 bits)."""
  return flow_data.sample(state.config, state.flow, key, num, state.data_shape)


def log_likelihood(state: State, x: jax.Array, key: jax.Array) -> jax.Array:
  """The exact log-density ``log p(x)`` of each example, ``[B]``, in nats.

  The generator is a flow, so its density is known although WGAN-GP did not
  train it: on images, of ``x`` dequantised with ``key`` in the continuous
  data space ``[-1, 1)^D`` (8-bit bits per dimension:
  ``gengan_jax.metrics.bits_per_dim(ll, D, data_range_bins=256,
  data_range=2.0)``); on 2-D data, of ``x`` itself (``key`` unused).
  """
  return flow_data.log_likelihood(state.config, state.flow, x, key)


def log_likelihood_space(config: Config) -> str:
  """``'continuous'``: :func:`log_likelihood` is a density on ``[-1, 1]^D``
  (read by ``gengan_jax.evaluate``: 8-bit bits/dim add ``log2(256 / 2)``)."""
  del config
  return "continuous"
