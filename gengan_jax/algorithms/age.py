"""AGE: adversarial generator-encoder networks.

Ulyanov, Vedaldi & Lempitsky, "It takes (only) two: Adversarial
generator-encoder networks" (AAAI 2018). There is no discriminator: the
encoder ``e`` is the critic. Latent codes live on the unit sphere (the prior
is uniform there and encoder outputs are normalised onto it), and the
divergence ``Delta`` between a set of codes and the prior is the KL from a
diagonal Gaussian fitted to the batch of codes to ``N(0, I)`` (Sec. 3).

* encoder:   minimise ``Delta(e(x)) - Delta(e(g(z))) + lambda_x ||x - g(e(x))||_2^2``
  (pull real codes to the prior, push generated codes away; reconstruct data);
* generator: minimise ``Delta(e(g(z))) + lambda_z (1 - cos(z, e(g(z))))``
  (fool the encoder; reconstruct codes, cosine distance on the sphere).

Following the issue this library was built to, the data reconstruction is the
squared L2 norm (the reference code's default is L1) and ``Delta`` is the
exact Gaussian KL summed over dimensions (the reference code averages a
variant that uses the variance where the KL has the standard deviation).

One ``train_step``: one encoder update, then ``generator_updates`` (default
2, as in the reference code's CIFAR-10 setting) generator updates.

The adversary weight ``w`` multiplies ``Delta(e(g(z)))`` in the encoder's loss
(``w = 1`` above). With ``adaptive_adversary_weight`` it follows the reference
code's ``--adaptive_advesary_weight`` controller (:func:`adversary_weight_update`):
after every step ``w`` grows by ``adversary_increase`` and, when either fitted
KL exceeds ``adversary_threshold`` times the KL of codes spread uniformly on the
sphere (:func:`uniform_sphere_kl`), shrinks by ``adversary_decrease``, never
below 0. It stops the encoder from winning by collapsing the generated codes
(``Delta(e(g(z)))`` is unbounded above), the failure of AGE on the ring.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import sphere_prior, step_keys


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """AGE hyper-parameters (reference code: Adam 2e-4, betas 0.5, 0.999).

  Attributes:
    lambda_x: weight of the squared-L2 data reconstruction (encoder loss).
    lambda_z: weight of the cosine code reconstruction (generator loss).
    generator_updates: generator updates per encoder update.
    adaptive_adversary_weight: adapt the weight ``w`` of ``Delta(e(g(z)))`` in
      the encoder's loss (reference code's ``--adaptive_advesary_weight``);
      ``False`` keeps ``w = 1``, the paper's objective.
    adversary_threshold: the reference's ``--th``: ``w`` shrinks when a fitted
      KL exceeds this multiple of :func:`uniform_sphere_kl`.
    adversary_increase, adversary_decrease: the controller's steps (reference:
      0.001 up every step, 0.02 down when over the threshold).
    generator_optimizer, encoder_optimizer: Adam settings.
  """

  lambda_x: float = 1.0
  lambda_z: float = 10.0
  generator_updates: int = 2
  adaptive_adversary_weight: bool = False
  adversary_threshold: float = 1.05
  adversary_increase: float = 1e-3
  adversary_decrease: float = 2e-2
  generator_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)
  encoder_optimizer: OptimizerConfig = OptimizerConfig(2e-4, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check(self.latent_dim >= 2, "latent_dim", self.latent_dim,
          ">= 2 (codes live on the unit sphere)")
    check(self.lambda_x >= 0, "lambda_x", self.lambda_x, ">= 0")
    check(self.lambda_z >= 0, "lambda_z", self.lambda_z, ">= 0")
    check(self.generator_updates >= 1, "generator_updates",
          self.generator_updates, "a positive integer")
    check(self.adversary_threshold > 0, "adversary_threshold",
          self.adversary_threshold, "> 0")
    check(self.adversary_increase >= 0, "adversary_increase",
          self.adversary_increase, ">= 0")
    check(self.adversary_decrease >= 0, "adversary_decrease",
          self.adversary_decrease, ">= 0")


class State(AlgorithmState):
  """Generator and encoder states, the adversary weight ``w`` and the step."""

  generator: ts.TrainState
  encoder: ts.TrainState
  adversary_weight: jax.Array


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the generator and encoder."""
  g_key, e_key = jax.random.split(key)
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      encoder=networks.encoder(config, e_key, example_batch, config.encoder_optimizer),
      adversary_weight=jnp.ones((), jnp.float32),
      config=config,
  )


def uniform_sphere_kl(latent_dim: int) -> float:
  r"""The fitted-Gaussian KL of codes spread uniformly on the unit sphere.

  Uniform codes on ``S^{K-1}`` have mean 0 and variance ``1/K`` per
  dimension, so for a large batch :func:`gengan_jax.losses.empirical_kl` tends
  to

  .. math:: \tfrac12 \sum_{k=1}^{K} \big(\tfrac1K - 1 + \log K\big)
            = \tfrac12 \big(1 - K + K \log K\big),

  the value the reference code's ``get_ideal_KL`` gives for its own KL variant
  (per dimension, the variance in place of the standard deviation). It is
  what a well-trained encoder's real codes should score.

  Args:
    latent_dim: ``K >= 1``.
  """
  k = float(latent_dim)
  return 0.5 * (1.0 - k + k * math.log(k))


def adversary_weight_update(weight: jax.Array, kl_real: jax.Array, kl_fake: jax.Array, *,
                            ideal_kl: float, threshold: float, increase: float,
                            decrease: float) -> jax.Array:
  """The reference code's adaptive adversary weight, one step.

  ``w + increase``, minus ``decrease`` when ``kl_real`` or ``kl_fake`` exceeds
  ``threshold * ideal_kl``, clipped below at 0 (no upper clip, as in the
  reference). The reference scales both steps by the learning rate's decay
  ratio; this library's learning rates are constant, so that ratio is 1.
  """
  over = (kl_real > threshold * ideal_kl) | (kl_fake > threshold * ideal_kl)
  return jnp.maximum(weight + increase - jnp.where(over, decrease, 0.0), 0.0)


def _to_sphere(h: jax.Array) -> jax.Array:
  return h / jnp.sqrt(jnp.sum(h * h, axis=-1, keepdims=True) + 1e-12)


def _on_sphere(encoder):
  """``x -> e(x)`` normalised onto the unit sphere, for a network or a :class:`ts.Net`."""
  return lambda x: _to_sphere(encoder(x))


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One encoder update, then ``generator_updates`` generator updates.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  x = single_batch(batch, "age")
  n = x.shape[0]
  keys = step_keys(key, state.step, "encoder", "generator")
  G, E, w = state.generator, state.encoder, state.adversary_weight

  # Encoder: real codes towards the prior, generated codes away from it.
  z = sphere_prior(keys["encoder"], n, cfg.latent_dim)
  x_gen = jax.lax.stop_gradient(ts.forward(G, z))

  def e_loss_fn(e):
    encode_ = _on_sphere(e)
    z_real, z_fake = encode_(x), encode_(x_gen)
    x_rec = ts.forward(G, z_real)
    kl_real, kl_fake = losses.empirical_kl(z_real), losses.empirical_kl(z_fake)
    rec = losses.l2_reconstruction(x, x_rec).mean()
    return kl_real - w * kl_fake + cfg.lambda_x * rec, (kl_real, kl_fake, rec)

  E, e_loss, (kl_real, kl_fake, rec) = ts.minimize(E, e_loss_fn)

  # Generator: generated codes towards the prior; reconstruct z.
  g_losses, code_recs = [], []
  encode_ = _on_sphere(lambda v: ts.forward(E, v))
  for i in range(cfg.generator_updates):
    z = sphere_prior(jax.random.fold_in(keys["generator"], i), n, cfg.latent_dim)

    def g_loss_fn(g):
      z_rec = encode_(g(z))
      code_rec = losses.cosine_distance(z, z_rec).mean()
      return losses.empirical_kl(z_rec) + cfg.lambda_z * code_rec, code_rec

    G, g_loss, code_rec = ts.minimize(G, g_loss_fn)
    g_losses.append(g_loss)
    code_recs.append(code_rec)

  if cfg.adaptive_adversary_weight:
    w = adversary_weight_update(
        w, kl_real, kl_fake, ideal_kl=uniform_sphere_kl(cfg.latent_dim),
        threshold=cfg.adversary_threshold, increase=cfg.adversary_increase,
        decrease=cfg.adversary_decrease)

  metrics = {
      "encoder_loss": e_loss,
      "generator_loss": jnp.mean(jnp.stack(g_losses)),
      "kl_real": kl_real,
      "kl_fake": kl_fake,
      "reconstruction_l2": rec,
      "code_reconstruction_cosine": jnp.mean(jnp.stack(code_recs)),
      "adversary_weight": w,
  }
  return state.replace(step=state.step + 1, generator=G, encoder=E,
                       adversary_weight=w), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``g(z)``, ``z`` uniform on the sphere."""
  return networks.sample(state.generator, key, num, state.config.latent_dim,
                         prior=sphere_prior)


def encode(state: State, x: jax.Array) -> jax.Array:
  """Codes ``e(x)`` on the unit sphere."""
  return _to_sphere(ts.forward(state.encoder, x, train=False))


def reconstruct(state: State, x: jax.Array) -> jax.Array:
  """Reconstructions ``g(e(x))``."""
  return ts.forward(state.generator, encode(state, x), train=False)
