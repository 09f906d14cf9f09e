r"""WAE-MMD: the Wasserstein auto-encoder with the latent MMD as its penalty.

Tolstikhin, Bousquet, Gelly & Schoelkopf, "Wasserstein Auto-Encoders" (ICLR
2018, arXiv:1711.01558), Algorithm 2. ``D_Z(Q_Z, P_Z)`` of the WAE objective
(:mod:`.wae`) is the maximum mean discrepancy between codes and prior
samples, so there is no adversary: one ``train_step`` on a batch
``x_1..x_n``, with ``z_i ~ P_Z = N(0, I)`` and ``z_tilde_i ~ Q_phi(Z | x_i)``,
is one joint descent of ``Q_phi`` and ``G_theta`` on

.. math::

  \frac1n \sum_i c(x_i, G_\theta(\tilde z_i))
  + \frac{\lambda}{n(n-1)} \sum_{l \ne j} k(z_l, z_j)
  + \frac{\lambda}{n(n-1)} \sum_{l \ne j} k(\tilde z_l, \tilde z_j)
  - \frac{2\lambda}{n^2} \sum_{l, j} k(z_l, \tilde z_j),

the unbiased U-statistic of ``MMD^2`` (:func:`gengan_jax.losses.mmd2`). The
kernel is the inverse multiquadratic ``k(x, y) = C / (C + ||x - y||^2)``
with ``C = 2 d_z sigma_z^2`` (Sec. 4; ``sigma_z^2 = 1`` for ``N(0, I)``),
summed, as in the authors' code (``wae.py``, ``mmd_penalty``, ``'IMQ'``),
over ``C * s`` for the scales ``s`` in ``(0.1, 0.2, 0.5, 1, 2, 5, 10)``
(:func:`gengan_jax.losses.inverse_multiquadric_kernel`). The code's
estimate is this U-statistic: the within-sample sums drop the diagonal and
divide by ``n^2 - n``, the cross sum keeps every pair and divides by
``n^2``.

Defaults are the paper's MNIST settings (Sec. 4, and the code's
``config_mnist``): ``lambda = 10``, ``d_z = 8``, Adam ``1e-3`` with
``beta1 = 0.5``.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import wae
from gengan_jax.algorithms.wae import State, encode, init_autoencoder, reconstruct, sample
from gengan_jax.core import check, single_batch
from gengan_jax.core.keys import gaussian_prior, step_keys

# The authors' code's multiples of C = 2 d_z sigma_z^2 (wae.py, mmd_penalty).
MMD_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


@dataclasses.dataclass(frozen=True)
class Config(wae.BaseConfig):
  """WAE-MMD hyper-parameters (:class:`gengan_jax.algorithms.wae.BaseConfig` and the kernel).

  Attributes:
    lambda_penalty: ``lambda`` (10 on MNIST, 100 on CelebA; Sec. 4).
    mmd_scales: the multiples ``s`` of ``C = 2 d_z`` whose IMQ kernels are
      summed (the authors' code's seven).
  """

  lambda_penalty: float = 10.0
  mmd_scales: tuple[float, ...] = MMD_SCALES

  def __post_init__(self):
    super().__post_init__()
    check(len(self.mmd_scales) >= 1 and all(s > 0 for s in self.mmd_scales), "mmd_scales",
          self.mmd_scales, "a non-empty tuple of positive numbers")


def mmd_penalty(codes: jax.Array, prior_samples: jax.Array, *,
                scales: tuple[float, ...] = MMD_SCALES, prior_variance: float = 1.0) -> jax.Array:
  r"""``MMD^2`` between codes and prior samples under the summed IMQ kernel, a scalar.

  .. math::

    k(x, y) = \sum_{s} \frac{s C}{s C + \lVert x - y \rVert^2},
    \qquad C = 2\, d_z\, \sigma_z^2,

  estimated by the unbiased U-statistic (:func:`gengan_jax.losses.mmd2`).

  Args:
    codes: ``z_tilde``, ``[n, d_z]``.
    prior_samples: ``z ~ P_Z``, ``[m, d_z]``.
    scales: the multiples ``s`` of ``C``.
    prior_variance: ``sigma_z^2`` of the prior ``N(0, sigma_z^2 I)``.

  References:
    Tolstikhin et al. 2018, Algorithm 2 and Sec. 4; the authors' code
    (github.com/tolstikhin/wae, ``wae.py``, ``mmd_penalty``).
  """
  c = 2.0 * codes.shape[-1] * prior_variance
  kernel = functools.partial(losses.inverse_multiquadric_kernel,
                             scale=tuple(c * s for s in scales))
  return losses.mmd2(codes, prior_samples, kernel, unbiased=True)


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises ``Q_phi`` and ``G_theta`` for data shaped like ``example_batch[0]``."""
  return State(step=jnp.zeros((), jnp.int32),
               **init_autoencoder(key, config, example_batch), config=config)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One iteration of Algorithm 2.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  x = single_batch(batch, "wae_mmd")
  keys = step_keys(key, state.step, "prior", "encoder")
  z = gaussian_prior(keys["prior"], x.shape[0], cfg.latent_dim)
  updated, metrics = wae.autoencoder_update(
      state, x, keys["encoder"],
      lambda codes: mmd_penalty(codes, z, scales=cfg.mmd_scales))
  metrics["mmd"] = metrics.pop("penalty")
  return state.replace(step=state.step + 1, **updated), metrics


__all__ = ["Config", "MMD_SCALES", "State", "encode", "init", "mmd_penalty", "reconstruct",
           "sample", "train_step"]
