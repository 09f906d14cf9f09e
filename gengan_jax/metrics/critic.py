r"""Independent Wasserstein critic (Danihelka et al. 2017).

An evaluation critic, separate from any critic used in training: a WGAN-GP
critic ``f`` is trained from scratch to separate data that the model did not
train on from model samples, maximising

.. math::

  \hat W(f) = \mathbb E_{x \sim \text{data}} f(x)
    - \mathbb E_{\tilde x \sim \text{model}} f(\tilde x)
  \quad \text{s.t.} \quad
  \lambda\, \mathbb E_{\hat x} \big(\lVert \nabla f(\hat x) \rVert_2 - 1\big)^2
  \text{ penalised}

(Gulrajani et al. 2017, Algorithm 1 with the generator fixed). Its value
estimates the Wasserstein-1 distance between data and model. Rosca et al.
(2017, Sec. 6) report the *negative* estimate ``-W`` (higher is better)
over the course of the critic's training, on the critic's own training data
and on validation data: a gap between the two curves shows the critic (or,
when its training data are the model's training data, the model) overfitting.

:func:`train_independent_critic` returns that history. The critic is any
batch-norm-free discriminator of :mod:`gengan_jax.nets` (``'mlp'`` for 2-D
data, ``'dcgan'`` for images).

The loop itself is objective-agnostic: :func:`fit_critic` trains any network
from scratch on any critic loss of data against samples and records any
estimate read off it; :func:`train_independent_critic` is it with the WGAN-GP
loss (:func:`wgan_gp_loss`) and ``-W``, and
:mod:`gengan_jax.metrics.divergence_critics` uses it for the critics of the
other divergences (Im et al. 2018).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gengan_jax import losses, nets
from gengan_jax.core import train_state as ts
from gengan_jax.core.config import OptimizerConfig
from gengan_jax.metrics import _checks
from gengan_jax.nets import factory

__all__ = ["IndependentCritic", "CriticHistory", "CriticFit", "fit_critic", "mean_score_fn",
           "wgan_gp_loss", "train_independent_critic", "plot_critic_history"]


@dataclasses.dataclass(frozen=True)
class IndependentCritic:
  """The evaluation critic's network and optimiser.

  Attributes:
    arch: ``'mlp'`` (data ``[D]``) or ``'dcgan'`` (images ``[H, W, C]``).
    hidden: hidden widths of the ``mlp`` critic (ignored for ``dcgan``).
    base_features: channels of the first ``dcgan`` layer (ignored for
      ``mlp``).
    learning_rate, b1, b2: Adam (1e-4, 0, 0.9: Gulrajani et al.'s values).
    gradient_penalty_weight: lambda (10).
    batch_size: data and sample batch per critic step.
  """

  arch: str = "mlp"
  hidden: tuple[int, ...] = (128, 128, 128)
  base_features: int = 32
  learning_rate: float = 1e-4
  b1: float = 0.0
  b2: float = 0.9
  gradient_penalty_weight: float = 10.0
  batch_size: int = 64

  def __post_init__(self):
    if self.arch not in factory.ARCHS:
      raise ValueError(f"`arch` must be one of {factory.ARCHS}, got {self.arch!r}.")
    _checks.positive_int(self.batch_size, "batch_size", minimum=1)
    _checks.positive_float(self.gradient_penalty_weight, "gradient_penalty_weight",
                           allow_zero=True)

  def make(self, data_shape: tuple[int, ...]):
    kw = ({"hidden": tuple(self.hidden)} if self.arch == "mlp"
          else {"base_features": self.base_features})
    return nets.make_discriminator(self.arch, data_shape=data_shape,
                                   use_batch_norm=False, **kw)


@dataclasses.dataclass
class CriticHistory:
  """The negative Wasserstein estimates over the critic's training.

  Attributes:
    steps: ``[T]`` critic steps at which the estimates were taken.
    train: ``[T]`` ``-W`` on the critic's training data vs fresh samples.
    valid: ``[T]`` ``-W`` on validation data vs the same samples.
    critic: the trained critic's state (``critic.apply_fn``).
  """

  steps: np.ndarray
  train: np.ndarray
  valid: np.ndarray
  critic: Any = None

  def as_dict(self) -> dict:
    return {"steps": self.steps.tolist(), "train_negative_wasserstein": self.train.tolist(),
            "valid_negative_wasserstein": self.valid.tolist()}


def _as_data(x: Any, name: str) -> np.ndarray:
  arr = np.asarray(x, np.float32)
  if arr.ndim < 2 or len(arr) < 2:
    raise ValueError(f"`{name}` must be a batch of examples [N, ...] with N >= 2, "
                     f"got shape {arr.shape}.")
  if not np.all(np.isfinite(arr)):
    raise ValueError(f"`{name}` contains NaN or infinite values.")
  return arr


CriticLoss = Callable[[Any, jax.Array, jax.Array, jax.Array], jax.Array]


class CriticFit(NamedTuple):
  """What :func:`fit_critic` returns.

  Attributes:
    steps: ``[T]`` critic steps at which the estimates were taken.
    train: ``[T]`` the estimate on the critic's training data vs fresh samples.
    valid: ``[T]`` the estimate on validation data vs the same samples.
    critic: the trained critic's state (``critic.apply_fn``).
  """

  steps: np.ndarray
  train: np.ndarray
  valid: np.ndarray
  critic: Any


def wgan_gp_loss(gradient_penalty_weight: float) -> CriticLoss:
  r"""The WGAN-GP critic's loss as a :data:`CriticLoss` ``(f, real, fake, key)``.

  .. math::

    L(f) = \overline{f(\tilde x) - f(x)}
      + \lambda\, \overline{\big(\lVert \nabla f(\hat x) \rVert_2 - 1\big)^2},
    \qquad \hat x = \epsilon x + (1 - \epsilon) \tilde x

  (a scalar: the batch means), ``key`` drawing the interpolation weights.

  References:
    Gulrajani et al., "Improved training of Wasserstein GANs", NeurIPS 2017,
    Algorithm 1.
  """
  gp_weight = float(gradient_penalty_weight)

  def loss_fn(f, real, fake, eps_key):
    w_loss = losses.wasserstein_critic_loss(f(real), f(fake)).mean()
    penalty = losses.gradient_penalty(f, real, fake, eps_key).mean()
    return w_loss + gp_weight * penalty

  return loss_fn


def fit_critic(
    train_data: Any,
    valid_data: Any,
    sample_fn: Callable[[jax.Array, int], Any],
    key: jax.Array,
    *,
    steps: int,
    module: Any,
    loss_fn: CriticLoss,
    summarise: Callable[[Any, np.ndarray], Any],
    estimate: Callable[[Any, Any], float],
    optimizer: OptimizerConfig,
    batch_size: int,
    eval_every: int | None = None,
    eval_size: int = 1000,
) -> CriticFit:
  r"""Trains a critic from scratch on ``train_data`` vs model samples; records an estimate.

  Each step draws ``batch_size`` examples of ``train_data`` (with
  replacement) and as many samples ``sample_fn(k, n)`` and takes one step of
  ``optimizer`` on ``loss_fn(f, real, fake, k')`` (``f`` the network being
  trained, :class:`gengan_jax.core.train_state.Net`). Every ``eval_every``
  steps (and after the last) it draws ``eval_size`` fresh samples and records

  .. math::

    \text{train} = \mathrm{estimate}(s(x_{\text{train}}), s(\tilde x)),
    \qquad
    \text{valid} = \mathrm{estimate}(s(x_{\text{valid}}), s(\tilde x))

  with ``s = summarise(state, .)``, over a fixed random subset of up to
  ``eval_size`` training examples and the first ``eval_size`` validation
  examples: the estimate on held-out data is the one to report (Im et al.
  2018, Sec. 3); a gap between the two shows the critic overfitting.

  Args:
    train_data: ``[N, ...]`` data the critic trains on.
    valid_data: ``[M, ...]`` held-out data of the same shape.
    sample_fn: ``(key, n) -> [n, ...]`` model samples.
    key: a ``jax.random.key``; step ``t`` uses ``fold_in(key, t)``.
    steps: number of critic steps.
    module: the critic's Flax module (``module(x, train=...)``), without
      batch norm.
    loss_fn: ``(f, real [B, ...], fake [B, ...], key) -> scalar`` to minimise.
    summarise: ``(state, x [n, ...] numpy) -> summary`` of one evaluation
      set (e.g. a mean score, or features).
    estimate: ``(summary of data, summary of samples) -> float``.
    optimizer: the critic's optimiser.
    batch_size: data and sample batch per critic step.
    eval_every: steps between estimates (default ``max(steps // 20, 1)``).
    eval_size: examples and samples per estimate.

  Returns:
    A :class:`CriticFit`.

  Raises:
    ValueError: data that is not a finite batch ``[N >= 2, ...]``, train and
      validation examples of different shapes, or non-positive counts.
    TypeError: a ``sample_fn`` that is not callable.
  """
  train = _as_data(train_data, "train_data")
  valid = _as_data(valid_data, "valid_data")
  if train.shape[1:] != valid.shape[1:]:
    raise ValueError(f"`train_data` {train.shape} and `valid_data` {valid.shape} "
                     "must hold examples of the same shape.")
  steps = _checks.positive_int(steps, "steps")
  eval_every = _checks.positive_int(eval_every or max(steps // 20, 1), "eval_every")
  eval_size = _checks.positive_int(eval_size, "eval_size", minimum=2)
  if not callable(sample_fn):
    raise TypeError("`sample_fn` must be callable as sample_fn(key, n).")
  shape = train.shape[1:]
  b = _checks.positive_int(batch_size, "batch_size")

  init_key, loop_key, eval_key = jax.random.split(key, 3)
  state = ts.create(module, init_key, jnp.zeros((b,) + shape), optimizer)
  train_dev = jnp.asarray(train)

  @jax.jit
  def step(state, fake, key):
    idx_key, eps_key = jax.random.split(key)
    real = train_dev[jax.random.randint(idx_key, (b,), 0, train_dev.shape[0])]
    return ts.minimize(state, lambda f: (loss_fn(f, real, fake, eps_key), None))[0]

  rng = np.random.default_rng(int(jax.random.randint(eval_key, (), 0, 2**31 - 1)))
  train_eval = train[rng.permutation(len(train))[:eval_size]]
  valid_eval = valid[:eval_size]

  hist_steps, hist_train, hist_valid = [], [], []
  for t in range(1, steps + 1):
    k_sample, k_step = jax.random.split(jax.random.fold_in(loop_key, t))
    fake = jnp.asarray(sample_fn(k_sample, b), jnp.float32).reshape((b,) + shape)
    state = step(state, fake, k_step)
    if t % eval_every == 0 or t == steps:
      k_eval = jax.random.fold_in(eval_key, t)
      fake_eval = np.asarray(sample_fn(k_eval, eval_size), np.float32).reshape(
          (eval_size,) + shape)
      s_fake = summarise(state, fake_eval)
      hist_steps.append(t)
      hist_train.append(estimate(summarise(state, train_eval), s_fake))
      hist_valid.append(estimate(summarise(state, valid_eval), s_fake))
  return CriticFit(np.asarray(hist_steps), np.asarray(hist_train), np.asarray(hist_valid),
                   state)


def mean_score_fn(chunk: int = 500) -> Callable[[Any, np.ndarray], float]:
  """``(state, x) -> mean critic score over x``, in chunks of ``chunk`` on the device."""

  @jax.jit
  def mean_score(state, x):
    return ts.forward(state, x, train=False).mean()

  def score(state, x):  # mean critic score over a large set, in chunks
    total = 0.0
    for s in range(0, len(x), chunk):
      part = x[s:s + chunk]
      total += float(mean_score(state, jnp.asarray(part))) * len(part)
    return total / len(x)

  return score


def train_independent_critic(
    train_data: Any,
    valid_data: Any,
    sample_fn: Callable[[jax.Array, int], Any],
    key: jax.Array,
    *,
    steps: int,
    critic: IndependentCritic = IndependentCritic(),
    eval_every: int | None = None,
    eval_size: int = 1000,
) -> CriticHistory:
  r"""Trains a WGAN-GP critic on ``train_data`` vs model samples.

  Each step draws ``critic.batch_size`` examples of ``train_data`` (with
  replacement) and as many samples ``sample_fn(k, n)`` and takes one Adam step
  on ``mean(f(fake) - f(real)) + lambda * mean(GP)``. Every ``eval_every``
  steps (and after the last) it draws ``eval_size`` fresh samples and records

  .. math::

    -\hat W_{\text{train}} = \overline{f(\tilde x)} - \overline{f(x_{\text{train}})},
    \qquad
    -\hat W_{\text{valid}} = \overline{f(\tilde x)} - \overline{f(x_{\text{valid}})}

  over a fixed subset of up to ``eval_size`` training examples and of the
  validation examples (:func:`fit_critic` with :func:`wgan_gp_loss`).

  Args:
    train_data: ``[N, ...]`` data the critic trains on (data the model did
      not see, to measure the model; or the model's training data, to see
      the model's overfitting as a train/valid gap).
    valid_data: ``[M, ...]`` held-out data of the same shape.
    sample_fn: ``(key, n) -> [n, ...]`` model samples (e.g. a jitted
      ``lambda k, n: algorithm.sample(state, k, n)``).
    key: a ``jax.random.key``; step ``t`` uses ``fold_in(key, t)``.
    steps: number of critic steps.
    critic: network and optimiser settings.
    eval_every: steps between estimates (default ``max(steps // 20, 1)``).
    eval_size: examples and samples per estimate.

  Returns:
    A :class:`CriticHistory`.

  References:
    Danihelka, Lakshminarayanan, Uria, Wierstra & Dayan, "Comparison of
    maximum likelihood and GAN-based training of Real NVPs", 2017, Sec. 3.
    Rosca et al., "Variational approaches for auto-encoding generative
    adversarial networks", 2017, Sec. 6. Gulrajani et al., "Improved
    training of Wasserstein GANs", NeurIPS 2017, Algorithm 1.
  """
  train = _as_data(train_data, "train_data")
  fit = fit_critic(
      train, valid_data, sample_fn, key, steps=steps, module=critic.make(train.shape[1:]),
      loss_fn=wgan_gp_loss(critic.gradient_penalty_weight), summarise=mean_score_fn(),
      estimate=lambda f_real, f_fake: f_fake - f_real,
      optimizer=OptimizerConfig(critic.learning_rate, critic.b1, critic.b2),
      batch_size=critic.batch_size, eval_every=eval_every, eval_size=eval_size)
  return CriticHistory(fit.steps, fit.train, fit.valid, fit.critic)


def plot_critic_history(path: str, history: CriticHistory, *, title: str = "") -> None:
  """Saves a PNG of ``-W`` on training and validation data against steps."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  fig, ax = plt.subplots(figsize=(5, 3.5), dpi=100)
  ax.plot(history.steps, history.train, label="critic training data")
  ax.plot(history.steps, history.valid, label="validation data")
  ax.set_xlabel("critic step")
  ax.set_ylabel("negative Wasserstein estimate")
  ax.legend(fontsize=8)
  ax.set_title(title or "independent Wasserstein critic", fontsize=9)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)
