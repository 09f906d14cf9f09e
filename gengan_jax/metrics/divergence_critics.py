r"""Evaluating a model with the divergences GANs are trained with (Im et al. 2018).

Im, Ma, Taylor & Branson (ICLR 2018, Sec. 3) measure a generator ``q``
against data ``p`` by training a *new* critic from scratch for each of the
training objectives of GANs, on data the model did not see against its
samples, and reading the divergence that objective's optimum value estimates
off the trained critic on held-out data. Four objectives, each a critic of
:data:`gengan_jax.losses.LOSS_PAIRS` or the MMD-GAN critic, with the critic's
raw output ``d`` (a logit or score) or features ``f``:

**GAN** (``'gan'``; the ``minimax`` pair, ``D = sigmoid(d)``; Goodfellow et
al. 2014, Prop. 1 and Thm. 1):

.. math::

  L_D = \mathbb E_p\, \mathrm{softplus}(-d) + \mathbb E_q\, \mathrm{softplus}(d)
      = -\mathbb E_p \log D - \mathbb E_q \log(1 - D),
  \qquad \min_d L_D = \log 4 - 2\, \mathrm{JS}(p, q),

reported as :math:`\widehat{\mathrm{JS}} = \tfrac12 (\log 4 - L_D)`: the
Jensen-Shannon divergence in nats, in ``[0, log 2]`` (half of Im et al.'s
``log 4 - L_D`` scale).

**Least squares** (``'least_squares'``; the ``least_squares_pearson`` pair,
Mao et al. 2017's coding ``(a, b, c) = (-1, 1, 0)``):

.. math::

  L_D = \tfrac12 \mathbb E_p (d - 1)^2 + \tfrac12 \mathbb E_q (d + 1)^2,
  \qquad d^* = \frac{p - q}{p + q}, \qquad
  \min_d L_D = \int \frac{2pq}{p + q} = 1 - \chi^2\!\Big(p \,\Big\|\, \frac{p + q}{2}\Big),

reported as :math:`1 - L_D`: the Pearson :math:`\chi^2` of ``p`` from the
mixture ``m = (p + q) / 2``, :math:`\tfrac12 \int (p - q)^2 / (p + q)` (half
Le Cam's triangular discrimination), in ``[0, 1]``. It is not Mao et al.'s
:math:`\chi^2_{\text{Pearson}}(p + q \,\|\, 2q)` (their Sec. 3.2.1): that is
what the *generator's* loss with ``c = 0`` equals at ``d*``, not the critic's
value.

**Wasserstein with gradient penalty** (``'wasserstein_gp'``; the
``wasserstein`` pair with :func:`gengan_jax.losses.gradient_penalty`,
weight ``lambda``; Gulrajani et al. 2017): the critic minimises
:math:`\mathbb E_q d - \mathbb E_p d + \lambda\, \mathrm{GP}`, reported as the
Kantorovich-Rubinstein dual :math:`\hat W_1 = \mathbb E_p d - \mathbb E_q d`
(the independent critic of :mod:`gengan_jax.metrics.critic`, with the sign
flipped: here lower is better for every objective).

**MMD with a learned kernel** (``'mmd'``; the MMD-GAN critic, Li et al. 2017,
eq. 3): features ``f`` maximise

.. math::

  \mathrm{MMD}^2_{k \circ f}(p, q) = \mathbb E\, k(f(x), f(x'))
    + \mathbb E\, k(f(y), f(y')) - 2\, \mathbb E\, k(f(x), f(y)),
  \qquad k(u, v) = \frac{1}{|H|} \sum_{h \in H} e^{-\lVert u - v \rVert^2 / 2h^2},

reported as the unbiased estimate on held-out data. The kernel is the mean
(not the sum) of the Gaussians, so ``k(u, u) = 1`` and ``MMD^2`` lies in
``[0, 2]``; being bounded, it needs no weight clipping (Li et al. clip to keep
their critic in a compact set, and add an auto-encoder term to keep ``f``
injective; neither is used here).

Each estimate is taken on held-out data: the critic trains on one split
against fresh samples, and the estimate is read on another split against
other fresh samples (:func:`gengan_jax.metrics.critic.fit_critic`). On
held-out data a fixed critic's estimate is unbiased for its own population
value, which for the GAN, least-squares and MMD critics is at most the
divergence (the optimum over critics, over the critic's feature maps for
MMD): their estimates are lower bounds in expectation. The WGAN-GP critic is
only softly 1-Lipschitz, so its estimate may exceed W1 a little. Identical
distributions give 0 up to the sampling noise (slightly negative where the
critic overfits its training split). :func:`estimate_divergences` repeats each fit over a few
critic seeds and reports the mean and the spread.

References:
  Im, Ma, Taylor & Branson, "Quantitatively evaluating GANs with divergences
  proposed for training", ICLR 2018, Sec. 3. Goodfellow et al., "Generative
  adversarial nets", NeurIPS 2014, Prop. 1 and Thm. 1. Mao et al., "Least
  squares generative adversarial networks", ICCV 2017, eq. (2) and Sec. 3.2.
  Gulrajani et al., "Improved training of Wasserstein GANs", NeurIPS 2017.
  Li, Chang, Cheng, Yang & Poczos, "MMD GAN: towards deeper understanding of
  moment matching network", NeurIPS 2017, eq. (3).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gengan_jax import losses, nets
from gengan_jax.core import train_state as ts
from gengan_jax.core.config import OptimizerConfig
from gengan_jax.metrics import _checks
from gengan_jax.metrics import critic as critic_lib

__all__ = ["OBJECTIVES", "CriticObjective", "DivergenceEstimate", "critic_objective",
           "estimate_divergence", "estimate_divergences"]

# Im et al.'s four critics, by name: the loss pair of gengan_jax.losses.LOSS_PAIRS
# each trains (None: the MMD-GAN critic, not a pair of scores).
OBJECTIVES: dict[str, str | None] = {
    "gan": "minimax",
    "least_squares": "least_squares_pearson",
    "wasserstein_gp": "wasserstein",
    "mmd": None,
}
# Li et al.'s bandwidths of the Gaussian kernels on the critic's features.
MMD_BANDWIDTHS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)
# Width of the MMD critic's features (MMD GAN's default in gengan_jax.algorithms.mmd_gan).
MMD_FEATURE_DIM = 16


@dataclasses.dataclass(frozen=True)
class CriticObjective:
  """One critic objective: the network, what it minimises, what its value estimates.

  Attributes:
    name: a key of :data:`OBJECTIVES`.
    divergence: what :attr:`estimate` returns, in words (with its range).
    loss_pair: the :data:`gengan_jax.losses.LOSS_PAIRS` name it trains, or
      ``None`` (MMD).
    make: ``data_shape -> module`` (scores ``[B]`` or features ``[B, K]``).
    loss: ``(f, real, fake, key) -> scalar`` the critic minimises.
    estimate: ``(outputs on data, outputs on samples) -> float``, numpy
      outputs ``[N]`` or ``[N, K]``.
  """

  name: str
  divergence: str
  loss_pair: str | None
  make: Callable[[tuple[int, ...]], nn.Module]
  loss: critic_lib.CriticLoss
  estimate: Callable[[np.ndarray, np.ndarray], float]


class ConvFeatures(nn.Module):
  """The MMD critic's features on images: a BN-free DCGAN critic's last conv
  map, flattened, then a linear layer to ``feature_dim`` (the critic's own
  one-logit output layer is built but unused)."""

  image_shape: tuple[int, int, int]
  feature_dim: int
  base_features: int = 32

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    conv = nets.make_discriminator("dcgan", data_shape=self.image_shape, use_batch_norm=False,
                                   base_features=self.base_features)
    _, maps = conv(x, train=train, return_features=True)
    h = maps[-1].reshape(x.shape[0], -1)
    return nn.Dense(self.feature_dim, name="features")(h)


def _feature_map(critic: critic_lib.IndependentCritic, feature_dim: int
                 ) -> Callable[[tuple[int, ...]], nn.Module]:
  def make(shape):
    if critic.arch == "mlp":
      return nets.make_encoder("mlp", data_shape=shape, latent_dim=feature_dim,
                               hidden=tuple(critic.hidden))
    return ConvFeatures(tuple(shape), feature_dim, critic.base_features)
  return make


def _pair_estimate(pair: losses.LossPair, offset: float, scale: float
                   ) -> Callable[[np.ndarray, np.ndarray], float]:
  """``scale * (offset - L_D)``, ``L_D`` the pair's loss on the two sets of scores."""
  def estimate(d_real, d_fake):
    l_d = (np.mean(np.asarray(pair.real(d_real), np.float64))
           + np.mean(np.asarray(pair.fake(d_fake), np.float64)))
    return float(scale * (offset - l_d))
  return estimate


def critic_objective(name: str,
                     critic: critic_lib.IndependentCritic = critic_lib.IndependentCritic(), *,
                     feature_dim: int = MMD_FEATURE_DIM,
                     bandwidths: Sequence[float] = MMD_BANDWIDTHS) -> CriticObjective:
  """The objective ``name`` of :data:`OBJECTIVES` (see the module docstring).

  Args:
    name: ``'gan'``, ``'least_squares'``, ``'wasserstein_gp'`` or ``'mmd'``.
    critic: the network and optimiser (``gradient_penalty_weight`` is used by
      ``'wasserstein_gp'`` only).
    feature_dim: width of the MMD critic's features.
    bandwidths: the Gaussian kernels' bandwidths ``H`` of the MMD critic.

  Returns:
    A :class:`CriticObjective`.

  Raises:
    ValueError: an unknown ``name`` (the valid ones are listed), a
      non-positive ``feature_dim`` or bandwidth.
  """
  if name not in OBJECTIVES:
    raise ValueError(f"objective={name!r} is not a divergence critic; valid choices are "
                     f"{', '.join(repr(k) for k in OBJECTIVES)}.")
  if name == "mmd":
    _checks.positive_int(feature_dim, "feature_dim")
    h = tuple(float(b) for b in bandwidths)
    if not h or min(h) <= 0:
      raise ValueError(f"`bandwidths` must be a non-empty sequence of positive numbers, "
                       f"got {bandwidths!r}.")
    kernel = functools.partial(losses.gaussian_kernel, bandwidth=h)

    def mmd2(u, v):  # the mean of the Gaussian kernels: k(u, u) = 1
      return losses.mmd2(u, v, kernel) / len(h)

    return CriticObjective(
        name, f"MMD^2 with a learned kernel (mean of Gaussians, bandwidths {h}), in [0, 2]",
        None, _feature_map(critic, feature_dim),
        loss=lambda f, real, fake, key: -mmd2(f(real), f(fake)),
        estimate=lambda u, v: float(mmd2(jnp.asarray(u), jnp.asarray(v))))
  pair = losses.loss_pair(OBJECTIVES[name])
  make = lambda shape: critic.make(shape)  # noqa: E731
  if name == "wasserstein_gp":
    return CriticObjective(
        name, "Wasserstein-1 distance (Kantorovich-Rubinstein dual, WGAN-GP critic)",
        pair.name, make, critic_lib.wgan_gp_loss(critic.gradient_penalty_weight),
        _pair_estimate(pair, 0.0, 1.0))
  loss = lambda f, real, fake, key: pair.discriminator_loss(f(real), f(fake))  # noqa: E731
  if name == "gan":
    return CriticObjective(name, "Jensen-Shannon divergence (nats), in [0, log 2]", pair.name,
                           make, loss, _pair_estimate(pair, math.log(4.0), 0.5))
  return CriticObjective(
      name, "Pearson chi^2 of the data from the mixture (p + q) / 2, in [0, 1]", pair.name,
      make, loss, _pair_estimate(pair, 1.0, 1.0))


@dataclasses.dataclass
class DivergenceEstimate:
  """One objective's estimates over critic seeds.

  Attributes:
    objective: the :data:`OBJECTIVES` name.
    divergence: what the numbers estimate (:attr:`CriticObjective.divergence`).
    values: ``[S]`` the estimate on held-out data, one per critic seed.
    train_values: ``[S]`` the same critics' estimate on their training data
      (above ``values`` where a critic overfits).
    steps: critic steps per seed.
  """

  objective: str
  divergence: str
  values: np.ndarray
  train_values: np.ndarray
  steps: int

  @property
  def mean(self) -> float:
    return float(np.mean(self.values))

  @property
  def std(self) -> float:
    """Sample standard deviation over seeds (``ddof=1``; 0 for one seed)."""
    return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else 0.0

  def as_dict(self) -> dict:
    """The estimate as plain values (floats and lists), with its objective's loss pair."""
    return {"objective": self.objective, "loss_pair": OBJECTIVES[self.objective],
            "divergence": self.divergence, "mean": self.mean, "std": self.std,
            "values": [float(v) for v in self.values],
            "train_values": [float(v) for v in self.train_values], "steps": int(self.steps)}


def _outputs_fn(chunk: int = 500) -> Callable[[Any, np.ndarray], np.ndarray]:
  """``(state, x) -> outputs`` of the network on ``x``, in chunks, as numpy."""
  forward = jax.jit(lambda state, x: ts.forward(state, x, train=False))

  def outputs(state, x):
    return np.concatenate([np.asarray(forward(state, jnp.asarray(x[s:s + chunk])))
                           for s in range(0, len(x), chunk)])
  return outputs


def estimate_divergence(
    objective: str | CriticObjective,
    train_data: Any,
    valid_data: Any,
    sample_fn: Callable[[jax.Array, int], Any],
    key: jax.Array,
    *,
    steps: int,
    num_seeds: int = 3,
    critic: critic_lib.IndependentCritic = critic_lib.IndependentCritic(),
    eval_size: int = 1000,
) -> DivergenceEstimate:
  """Trains ``num_seeds`` critics of ``objective`` from scratch; their held-out estimates.

  Critic ``s`` is :func:`gengan_jax.metrics.critic.fit_critic` with key
  ``fold_in(key, s)``: ``steps`` steps of the objective's loss on
  ``train_data`` against fresh samples, then the estimate on ``eval_size``
  examples of ``valid_data`` against ``eval_size`` other fresh samples.

  Args:
    objective: a name of :data:`OBJECTIVES` (built by
      :func:`critic_objective` with ``critic``) or a :class:`CriticObjective`.
    train_data: ``[N, ...]`` data the critics train on (data the model did
      not train on).
    valid_data: ``[M, ...]`` other held-out data, for the estimate.
    sample_fn: ``(key, n) -> [n, ...]`` model samples.
    key: a ``jax.random.key``.
    steps: critic steps per seed.
    num_seeds: critics (seeds) per objective.
    critic: network and optimiser settings.
    eval_size: data examples and samples per estimate.

  Returns:
    A :class:`DivergenceEstimate`.

  Raises:
    ValueError: an unknown objective, non-positive counts, or data as
      :func:`~gengan_jax.metrics.critic.fit_critic` rejects it.
  """
  obj = critic_objective(objective, critic) if isinstance(objective, str) else objective
  num_seeds = _checks.positive_int(num_seeds, "num_seeds")
  shape = np.shape(train_data)[1:]
  outputs = _outputs_fn()
  values, train_values = [], []
  for s in range(num_seeds):
    fit = critic_lib.fit_critic(
        train_data, valid_data, sample_fn, jax.random.fold_in(key, s), steps=steps,
        module=obj.make(shape), loss_fn=obj.loss, summarise=outputs, estimate=obj.estimate,
        optimizer=OptimizerConfig(critic.learning_rate, critic.b1, critic.b2),
        batch_size=critic.batch_size, eval_every=steps, eval_size=eval_size)
    values.append(fit.valid[-1])
    train_values.append(fit.train[-1])
  return DivergenceEstimate(obj.name, obj.divergence, np.asarray(values),
                            np.asarray(train_values), int(steps))


def estimate_divergences(
    train_data: Any,
    valid_data: Any,
    sample_fn: Callable[[jax.Array, int], Any],
    key: jax.Array,
    *,
    steps: int,
    objectives: Sequence[str] = tuple(OBJECTIVES),
    num_seeds: int = 3,
    critic: critic_lib.IndependentCritic = critic_lib.IndependentCritic(),
    eval_size: int = 1000,
) -> dict[str, DivergenceEstimate]:
  """:func:`estimate_divergence` for each of ``objectives`` (Im et al. 2018's four by default).

  Every objective's critics use the same keys (``fold_in(key, s)``), so
  they see the same batches of samples: the objectives are compared on
  common random numbers.

  Returns:
    ``{objective: DivergenceEstimate}`` in the order of ``objectives``.
  """
  for name in objectives:
    critic_objective(name, critic)  # unknown names fail before any training
  return {name: estimate_divergence(name, train_data, valid_data, sample_fn, key, steps=steps,
                                    num_seeds=num_seeds, critic=critic, eval_size=eval_size)
          for name in objectives}
