r"""Real NVP trained by maximum likelihood.

Dinh, Sohl-Dickstein & Bengio, "Density estimation using Real NVP" (ICLR
2017); the maximum-likelihood half of Danihelka, Lakshminarayanan, Uria,
Wierstra & Dayan, "Comparison of maximum likelihood and GAN-based training
of Real NVPs" (2017), whose other half is :mod:`.real_nvp_wgan` (the same
network trained as a WGAN-GP generator).

One ``train_step`` is one Adam step on the negative log-likelihood of a
batch,

.. math::

  -\frac1B \sum_i \Big[\log \mathcal N\big(f(y_i); 0, I\big)
    + \log\Big|\det \frac{\partial f}{\partial y}(y_i)\Big|
    + \log\Big|\det \frac{\partial T}{\partial x}(x_i)\Big|\Big],

where on images ``x_i`` is the batch dequantised afresh each step and ``y_i
= T(x_i)`` its logit transform, and on 2-D data ``y_i = x_i`` (see
:mod:`.flow_data`). Defaults: Adam with its default settings (learning rate
1e-3), as in Dinh et al. (Sec. 4.1; their L2 penalty of 5e-5 on the scale
parameters and their batch normalisation are left out).

``log_likelihood(state, x, key)`` is exact: the flow's log-density of ``x``
(of ``x`` dequantised with ``key``, on images) in the library's continuous
data space, in nats. Metric: ``nll``, the batch's mean negative
log-likelihood in nats (before the update).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from flax import struct

from gengan_jax.algorithms import flow_data
from gengan_jax.core import AlgorithmState, OptimizerConfig, single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import step_keys


@dataclasses.dataclass(frozen=True)
class Config(flow_data.FlowConfig):
  """Real NVP maximum-likelihood hyper-parameters.

  Attributes:
    optimizer: Adam of the flow (1e-3, 0.9, 0.999: Adam's defaults, Dinh et
      al. 2017).

  (and the flow's settings, :class:`~gengan_jax.algorithms.flow_data.FlowConfig`)
  """

  optimizer: OptimizerConfig = OptimizerConfig(1e-3, 0.9, 0.999)


class State(AlgorithmState):
  """The flow's state; ``data_shape`` is the shape of one example."""

  flow: ts.TrainState
  data_shape: tuple[int, ...] = struct.field(pytree_node=False, default=())


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the flow (every coupling starts as the identity)."""
  return State(step=jnp.zeros((), jnp.int32), config=config,
               flow=flow_data.flow(config, key, example_batch, config.optimizer),
               data_shape=tuple(example_batch.shape[1:]))


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One Adam step on the batch's negative log-likelihood.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  x = single_batch(batch, "real_nvp_mle")
  keys = step_keys(key, state.step, "dequantize")
  x_c = flow_data.to_continuous(cfg, x, keys["dequantize"])

  def loss_fn(f):
    return -flow_data.log_density(cfg, f, x_c).mean(), None

  flow, nll, _ = ts.minimize(state.flow, loss_fn)
  return state.replace(step=state.step + 1, flow=flow), {"nll": nll}


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` samples ``T^{-1}(f^{-1}(z))``, ``z ~ N(0, I)`` (images quantised to 8 bits)."""
  return flow_data.sample(state.config, state.flow, key, num, state.data_shape)


def log_likelihood(state: State, x: jax.Array, key: jax.Array) -> jax.Array:
  """The exact log-density ``log p(x)`` of each example, ``[B]``, in nats.

  On images, of ``x`` dequantised with ``key``, in the continuous data space
  ``[-1, 1)^D`` (8-bit bits per dimension:
  ``gengan_jax.metrics.bits_per_dim(ll, D, data_range_bins=256,
  data_range=2.0)``); on 2-D data, of ``x`` itself (``key`` unused).
  """
  return flow_data.log_likelihood(state.config, state.flow, x, key)


def log_likelihood_space(config: Config) -> str:
  """``'continuous'``: :func:`log_likelihood` is a density on ``[-1, 1]^D``
  (read by ``gengan_jax.evaluate``: 8-bit bits/dim add ``log2(256 / 2)``)."""
  del config
  return "continuous"
