r"""InfoGAN: a GAN whose latent codes must be recoverable from its samples.

Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, "InfoGAN: Interpretable
representation learning by information maximizing generative adversarial
nets" (NeurIPS 2016). The generator's input is split into incompressible
noise ``z`` and a structured code ``c`` of independent factors: categorical
codes (uniform, one-hot) and continuous codes (``Uniform(-1, 1)``). The
mutual information ``I(c; G(z, c))`` (eq. 2) is maximised through its
variational lower bound (eq. 4; :mod:`gengan_jax.losses.information`)

.. math::

  L_I(G, Q) = \mathbb E_{c \sim P(c),\, x \sim G(z, c)}[\log Q(c \mid x)] + H(c)
  \;\le\; I(c; G(z, c)),

with ``Q(c | x)`` a softmax for each categorical code and a factored
Gaussian for the continuous ones (Sec. 6), and the game of eq. 5:

.. math::

  \min_{G, Q} \max_D \; V(D, G) - \lambda L_I(G, Q).

``Q`` shares the discriminator's trunk (Sec. 6: "Q and D share all
convolutional layers"; :mod:`gengan_jax.nets.info_head`), so D and Q are one
network with one optimizer, as in the authors' code (``d_net`` holds both).
One ``train_step``, as the authors' ``InfoGANTrainer``:

1. D and Q, on real data and fresh fakes ``G(z, c)``: minimise
   ``-mean log D(x) - mean log(1 - D(G(z, c))) - lambda L_I``;
2. G, with fresh ``(z, c)``: minimise the non-saturating
   ``-mean log D(G(z, c)) - lambda L_I``.

``lambda`` is ``lambda_categorical`` for the categorical codes' bound (1 in
the paper: "simply setting to 1 is sufficient for discrete latent codes")
and ``lambda_continuous`` for the continuous codes' (Sec. 6: with continuous
codes "a smaller lambda is typically used to ensure that lambda L_I, which
now involves differential entropy, is on the same scale as GAN objectives";
the authors' MNIST run uses 1 for both: ``info_reg_coeff=1.0`` in
``launchers/run_mnist_exp.py``).

Defaults follow the authors' MNIST run (openai/InfoGAN): 62 noise
dimensions drawn from ``Uniform(-1, 1)``; one 10-way categorical and two
continuous ``Uniform(-1, 1)`` codes; Q's Gaussians with a fixed unit
standard deviation (``Uniform(1, fix_std=True)``; ``learn_std=True``
learns a log standard deviation per code instead); Adam with ``beta1 = 0.5``
and learning rates 2e-4 for D/Q and 1e-3 for G.

Metrics: the losses; ``mi_categorical`` and ``mi_continuous``, the batch
estimates of ``L_I`` (nats) for each group of codes on the discriminator
step's fakes (with unit-std Gaussians the continuous bound is loose and may
be negative: it is at most ``J (log 2 - 0.5 log 2 pi) = -0.23 J``);
``q_accuracy``, how often Q's most probable category is the code that made
the fake; ``d_real``, ``d_fake``.

Besides the contract: :func:`generate` draws from given codes (latent
traversals), :func:`predict_codes` returns Q's categories and continuous
means for data (the categorical code as a clustering), :func:`draw_codes`
and :func:`generator_input` build the generator's input.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from gengan_jax import losses, nets
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, check_choice, single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import step_keys

NOISE_PRIORS = ("uniform", "gaussian")


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """InfoGAN's hyper-parameters (defaults: the authors' MNIST run).

  Attributes:
    latent_dim: dimension of the noise ``z`` (62 in the paper's MNIST run);
      the generator's input is ``[z, one-hot codes, continuous codes]``.
    noise: prior of ``z``: ``'uniform'`` (``Uniform(-1, 1)``, the authors'
      code) or ``'gaussian'`` (``N(0, I)``).
    categorical_codes: the number of categories of each categorical code
      (uniform prior), e.g. ``(10,)``; may be empty.
    continuous_codes: the number of continuous ``Uniform(-1, 1)`` codes.
    lambda_categorical: lambda of the categorical codes' bound (eq. 5), >= 0.
    lambda_continuous: lambda of the continuous codes' bound, >= 0.
    learn_std: Q's Gaussians learn a log standard deviation per code;
      ``False`` fixes it at 1 (the authors' MNIST setting).
    shared_dense: width of a dense layer shared by D and Q at the end of
      the trunk (the authors' MNIST FC 1024); 0 for none.
    q_hidden: widths of Q's own hidden layers (the authors' FC 128).
    generator_optimizer, discriminator_optimizer: Adam settings; the
      discriminator's also trains Q.
  """

  latent_dim: int = 62
  noise: str = "uniform"
  categorical_codes: tuple[int, ...] = (10,)
  continuous_codes: int = 2
  lambda_categorical: float = 1.0
  lambda_continuous: float = 1.0
  learn_std: bool = False
  shared_dense: int = 0
  q_hidden: tuple[int, ...] = (128,)
  generator_optimizer: OptimizerConfig = OptimizerConfig(1e-3, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    object.__setattr__(self, "categorical_codes", tuple(self.categorical_codes))
    object.__setattr__(self, "q_hidden", tuple(self.q_hidden))
    check_choice("noise", self.noise, NOISE_PRIORS)
    check(all(isinstance(k, int) and k >= 2 for k in self.categorical_codes),
          "categorical_codes", self.categorical_codes,
          "a tuple of category counts, each an integer >= 2")
    check(self.continuous_codes >= 0, "continuous_codes", self.continuous_codes,
          "an integer >= 0")
    check(len(self.categorical_codes) + self.continuous_codes >= 1, "categorical_codes",
          self.categorical_codes, "non-empty when continuous_codes=0 (InfoGAN needs a code)")
    check(self.lambda_categorical >= 0, "lambda_categorical", self.lambda_categorical, ">= 0")
    check(self.lambda_continuous >= 0, "lambda_continuous", self.lambda_continuous, ">= 0")
    check(self.shared_dense >= 0, "shared_dense", self.shared_dense, "an integer >= 0")
    check(all(h >= 1 for h in self.q_hidden), "q_hidden", self.q_hidden,
          "a tuple of positive widths (may be empty)")

  @property
  def code_dim(self) -> int:
    """Width of the codes in the generator's input (one-hot and continuous)."""
    return sum(self.categorical_codes) + self.continuous_codes

  @property
  def q_dim(self) -> int:
    """Width of Q's output -- logits, means and (``learn_std``) log std devs."""
    return sum(self.categorical_codes) + self.continuous_codes * (2 if self.learn_std else 1)


class Codes(NamedTuple):
  """One batch of generator inputs, by part.

  Attributes:
    noise: ``z``, ``[B, latent_dim]``.
    categorical: the categorical codes' categories, ``[B, len(categorical_codes)]`` int32.
    continuous: the continuous codes, ``[B, continuous_codes]``.
  """

  noise: jax.Array
  categorical: jax.Array
  continuous: jax.Array


class State(AlgorithmState):
  """Generator and discriminator (D and Q on one trunk) states, and the step."""

  generator: ts.TrainState
  discriminator: ts.TrainState


def draw_codes(key: jax.Array, num: int, config: Config) -> Codes:
  """Draws ``num`` inputs ``(z, c)`` from the priors: ``z`` from ``config.noise``,
  each categorical code uniform, continuous codes ``Uniform(-1, 1)``."""
  z_key, cat_key, cont_key = jax.random.split(key, 3)
  if config.noise == "uniform":
    noise = jax.random.uniform(z_key, (num, config.latent_dim), minval=-1.0, maxval=1.0)
  else:
    noise = jax.random.normal(z_key, (num, config.latent_dim))
  cat_keys = jax.random.split(cat_key, max(len(config.categorical_codes), 1))
  columns = [jax.random.randint(k, (num,), 0, n, dtype=jnp.int32)
             for k, n in zip(cat_keys, config.categorical_codes)]
  categorical = (jnp.stack(columns, axis=-1) if columns
                 else jnp.zeros((num, 0), jnp.int32))
  continuous = jax.random.uniform(cont_key, (num, config.continuous_codes), minval=-1.0,
                                  maxval=1.0)
  return Codes(noise, categorical, continuous)


def generator_input(codes: Codes, config: Config) -> jax.Array:
  """``[z, one_hot(c_1), ..., one_hot(c_m), c_cont]``, ``[B, latent_dim + code_dim]``."""
  one_hots = [jax.nn.one_hot(codes.categorical[:, i], k, dtype=codes.noise.dtype)
              for i, k in enumerate(config.categorical_codes)]
  return jnp.concatenate([codes.noise, *one_hots, codes.continuous.astype(codes.noise.dtype)],
                         axis=-1)


def split_q(q: jax.Array, config: Config) -> tuple[list[jax.Array], jax.Array, jax.Array | None]:
  """Q's raw output ``[B, q_dim]`` as (logits of each categorical code, continuous
  means ``[B, J]``, log standard deviations ``[B, J]`` or ``None`` for unit ones)."""
  logits, start = [], 0
  for k in config.categorical_codes:
    logits.append(q[:, start:start + k])
    start += k
  j = config.continuous_codes
  mean = q[:, start:start + j]
  log_std = q[:, start + j:start + 2 * j] if config.learn_std else None
  return logits, mean, log_std


def information(q: jax.Array, codes: Codes, config: Config) -> tuple[jax.Array, jax.Array]:
  """Batch estimates of ``L_I`` (eq. 4): (categorical codes', continuous codes').

  Each is the batch mean of :func:`gengan_jax.losses.information_bound`
  summed over the group's codes (independent factors: ``log Q`` and ``H``
  add up); ``0`` for an empty group.
  """
  logits, mean, log_std = split_q(q, config)
  mi_cat = jnp.zeros((), q.dtype)
  for i, (lg, k) in enumerate(zip(logits, config.categorical_codes)):
    log_q = losses.categorical_log_q(lg, codes.categorical[:, i])
    mi_cat = mi_cat + losses.information_bound(log_q, losses.categorical_entropy(k)).mean()
  mi_cont = jnp.zeros((), q.dtype)
  if config.continuous_codes:
    log_q = losses.gaussian_log_q(mean, codes.continuous.astype(q.dtype), log_std=log_std)
    mi_cont = losses.information_bound(
        log_q, losses.uniform_entropy(config.continuous_codes)).mean()
  return mi_cat, mi_cont


def _q_accuracy(q: jax.Array, codes: Codes, config: Config) -> jax.Array:
  logits, _, _ = split_q(q, config)
  if not logits:
    return jnp.zeros((), q.dtype)
  hits = [jnp.mean(jnp.argmax(lg, -1) == codes.categorical[:, i]) for i, lg in enumerate(logits)]
  return jnp.mean(jnp.stack(hits)).astype(q.dtype)


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises G and D/Q for data shaped like ``example_batch[0]``."""
  g_key, d_key = jax.random.split(key)
  data_shape = tuple(example_batch.shape[1:])
  generator = nets.make_generator(config.arch, data_shape=data_shape,
                                  latent_dim=config.latent_dim + config.code_dim,
                                  **config.net_kwargs())
  discriminator = nets.make_info_discriminator(
      config.arch, data_shape=data_shape, q_dim=config.q_dim, shared_dense=config.shared_dense,
      q_hidden=config.q_hidden, **config.net_kwargs())
  latent = jnp.zeros((example_batch.shape[0], config.latent_dim + config.code_dim))
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=ts.create(generator, g_key, latent, config.generator_optimizer),
      discriminator=ts.create(discriminator, d_key, example_batch,
                              config.discriminator_optimizer),
      config=config,
  )


def _weighted(cfg: Config, mi_cat: jax.Array, mi_cont: jax.Array) -> jax.Array:
  """``lambda L_I``: each group's bound times its lambda."""
  return cfg.lambda_categorical * mi_cat + cfg.lambda_continuous * mi_cont


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One D/Q update, then one G update, on the game of eq. 5.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  x = single_batch(batch, "infogan")
  n = x.shape[0]
  keys = step_keys(key, state.step, "discriminator", "generator")
  G = state.generator

  # 1. D and Q (one network): max_D V(D, G) and max_Q L_I on fresh fakes.
  codes = draw_codes(keys["discriminator"], n, cfg)
  x_fake = jax.lax.stop_gradient(ts.forward(G, generator_input(codes, cfg)))

  def d_loss_fn(d):
    real_logits, _ = d(x)
    fake_logits, q = d(x_fake)
    gan = (losses.discriminator_real_loss(real_logits).mean()
           + losses.discriminator_fake_loss(fake_logits).mean())
    mi_cat, mi_cont = information(q, codes, cfg)
    return gan - _weighted(cfg, mi_cat, mi_cont), (mi_cat, mi_cont, real_logits, fake_logits,
                                                   _q_accuracy(q, codes, cfg))

  D, d_loss, (mi_cat, mi_cont, real_logits, fake_logits, q_acc) = ts.minimize(
      state.discriminator, d_loss_fn)

  # 2. G: the non-saturating loss, and make its codes recoverable by Q.
  codes = draw_codes(keys["generator"], n, cfg)

  def g_loss_fn(g):
    logits, q = ts.forward(D, g(generator_input(codes, cfg)))
    adversarial = losses.generator_non_saturating_loss(logits).mean()
    return adversarial - _weighted(cfg, *information(q, codes, cfg)), None

  G, g_loss, _ = ts.minimize(G, g_loss_fn)

  metrics = {
      "discriminator_loss": d_loss,
      "generator_loss": g_loss,
      "mi_categorical": mi_cat,
      "mi_continuous": mi_cont,
      "q_accuracy": q_acc,
      "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
      "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits)),
  }
  return state.replace(step=state.step + 1, generator=G, discriminator=D), metrics


def generate(state: State, codes: Codes) -> jax.Array:
  """``G(z, c)`` for given codes (BN in inference mode): latent traversals.

  Build ``codes`` with :class:`Codes` (categories as integers) or
  :func:`draw_codes` and replace the parts to fix or sweep.
  """
  return ts.forward(state.generator, generator_input(codes, state.config), train=False)


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z, c)`` with ``(z, c)`` from the priors (BN in inference mode)."""
  return generate(state, draw_codes(key, num, state.config))


def predict_codes(state: State, x: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Q's reading of data ``x`` ``[B, *data_shape]`` (BN in inference mode).

  Returns:
    ``(categories [B, len(categorical_codes)] int32, means [B, continuous_codes])``:
    the most probable category of each categorical code (the categorical
    code as a clustering of the data) and the continuous codes' means.
  """
  _, q = ts.forward(state.discriminator, x, train=False)
  logits, mean, _ = split_q(q, state.config)
  if logits:
    categories = jnp.stack([jnp.argmax(lg, -1) for lg in logits], -1).astype(jnp.int32)
  else:
    categories = jnp.zeros((x.shape[0], 0), jnp.int32)
  return categories, mean
