r"""VEEGAN: a generator, a reconstructor of its noise and a joint discriminator.

Srivastava, Valkov, Russell, Gutmann & Sutton, "VEEGAN: Reducing mode
collapse in GANs using implicit variational learning" (NeurIPS 2017,
arXiv:1705.07761), Algorithm 1. Three networks: the generator
``G_gamma: z -> x``, the reconstructor ``F_theta: x -> z``, which maps data
back to the noise, and a discriminator ``D_omega(z, x)`` on pairs. The
reconstructor defines ``p_theta(z | x) = N(F_theta(x), sigma^2 I)``
(``sigma = reconstructor_noise``). With ``z ~ p0 = N(0, I)``,
``x_g = G(z)``, data ``x`` and ``z_g ~ p_theta(z | x)`` (``F(x) + sigma
eps``), one step is

* discriminator: the logistic-regression loss ``O_LR``,
  ``-log sigma(D(z, x_g)) - log(1 - sigma(D(z_g, x)))`` -- the generator's
  pairs are the class labelled 1, the reconstructor's 0, so that at its
  optimum ``D(z, x) = log q_gamma(x | z) p0(z) / (p_theta(z | x) p(x))``;
* generator and reconstructor, one joint update on eq. 8,

  .. math::

    \hat O(\omega, \gamma, \theta) = \frac1N \sum_i D_\omega(z^i, x_g^i)
      + \frac1N \sum_i d(z^i, x_g^i),
    \qquad d(z, x) = \lambda \lVert z - F_\theta(x) \rVert_2^2,

  the first term the discriminator's estimate of the KL between the two
  joints (G lowers the log ratio on its own pairs), the second the
  reconstruction of the noise. ``F`` receives gradient only from ``d``
  (Algorithm 1's ``g_theta``: ``D`` on the generator's pairs does not depend
  on ``theta``); the generator from both (``g_gamma``).

Both gradients are taken at the step's starting parameters on the same
draws, then each network takes its own optimizer step (Algorithm 1's last
line; the authors' code runs both training ops in one ``session.run``).

What the authors' 2-D code (``VEEGAN_2D_RING.ipynb`` of akashgit/VEEGAN, as
reproduced in public copies of it) fixes that the paper leaves open, and this
module follows:

* ``F`` is stochastic in the discriminator's pairs: ``z_g ~ N(F(x), I)``
  (``reconstructor_noise = 1``), and the reconstruction is the negative log
  likelihood of that Gaussian at the noise, ``-log N(z; F(G(z)), I) = 0.5
  ||z - F(G(z))||^2 + const``: ``reconstruction_weight = lambda = 0.5``
  (eq. 8 with ``d`` the plain squared distance is ``lambda = 1``);
* the generator's and reconstructor's pairs are labelled 1 and 0 as above,
  and the generator descends ``mean D`` (the log ratio, not a
  non-saturating surrogate);
* Adam with learning rate 1e-3 and beta1 0.5 for all three networks.

The authors' ring generator also takes one extra N(0, 1) input that the
discriminator does not see (``eps_dim = 1``: a stochastic ``q_gamma(x | z)``);
here ``G`` is deterministic, as Algorithm 1 writes it.

``D`` is :class:`gengan_jax.nets.JointDiscriminator` (``x`` flattened, or a
DCGAN conv stack on images, concatenated with ``z``, then a ReLU MLP of
``discriminator_hidden``: the authors' one layer of 128 units); ``F`` is
the architecture's encoder (:func:`networks.encoder`).

Metrics: ``discriminator_loss`` (``O_LR``), ``generator_loss`` (``O^``),
``kl_estimate`` (its first term), ``reconstruction`` (mean ``||z -
F(G(z))||^2``, unweighted), ``d_generator`` and ``d_reconstructor`` (mean
``sigma(D)`` on each side's pairs).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import check_widths
from gengan_jax.core import AlgorithmState, OptimizerConfig, check, single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """VEEGAN hyper-parameters (defaults: the authors' 2-D code).

  Attributes:
    reconstruction_weight: ``lambda``, the weight of ``||z - F(G(z))||^2``
      in eq. 8, >= 0 (0.5: the authors' unit-variance Gaussian likelihood).
    reconstructor_noise: ``sigma`` of ``p_theta(z | x) = N(F(x), sigma^2 I)``
      in the discriminator's pairs, >= 0 (1: the authors'; 0: a
      deterministic ``F``).
    discriminator_hidden: widths of ``D``'s ReLU head on ``(z, x)`` (the
      authors': one layer of 128).
    generator_optimizer, reconstructor_optimizer, discriminator_optimizer:
      Adam settings (the authors': learning rate 1e-3, beta1 0.5).
  """

  reconstruction_weight: float = 0.5
  reconstructor_noise: float = 1.0
  discriminator_hidden: tuple[int, ...] = (128,)
  generator_optimizer: OptimizerConfig = OptimizerConfig(1e-3, 0.5, 0.999)
  reconstructor_optimizer: OptimizerConfig = OptimizerConfig(1e-3, 0.5, 0.999)
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(1e-3, 0.5, 0.999)

  def __post_init__(self):
    super().__post_init__()
    check(self.reconstruction_weight >= 0, "reconstruction_weight",
          self.reconstruction_weight, ">= 0")
    check(self.reconstructor_noise >= 0, "reconstructor_noise", self.reconstructor_noise,
          ">= 0")
    check_widths("discriminator_hidden", self.discriminator_hidden, allow_empty=True)


class State(AlgorithmState):
  """The generator, the reconstructor, the joint discriminator and the steps taken."""

  generator: ts.TrainState
  reconstructor: ts.TrainState
  discriminator: ts.TrainState


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises G, F and D for data shaped like ``example_batch[0]``."""
  g_key, f_key, d_key = jax.random.split(key, 3)
  return State(
      step=jnp.zeros((), jnp.int32),
      generator=networks.generator(config, g_key, example_batch, config.generator_optimizer),
      reconstructor=networks.encoder(config, f_key, example_batch,
                                     config.reconstructor_optimizer),
      discriminator=networks.joint_discriminator(
          config, d_key, example_batch, config.discriminator_optimizer,
          hidden=config.discriminator_hidden, activation="relu"),
      config=config,
  )


def discriminator_loss(generator_logits: jax.Array,
                       reconstructor_logits: jax.Array) -> jax.Array:
  """``O_LR``: ``mean -log sigma(D(z, x_g)) + mean -log(1 - sigma(D(z_g, x)))``."""
  return (losses.discriminator_real_loss(generator_logits).mean()
          + losses.discriminator_fake_loss(reconstructor_logits).mean())


def objective(generator_logits: jax.Array, z: jax.Array, z_rec: jax.Array,
              weight: float) -> tuple[jax.Array, tuple[jax.Array, jax.Array]]:
  """Eq. 8, ``O^ = mean D(z, x_g) + weight * mean ||z - F(x_g)||^2``.

  Args:
    generator_logits: ``D(z, G(z))``, ``[B]``: the log-ratio estimate.
    z: the noise, ``[B, K]``.
    z_rec: its reconstruction ``F(G(z))``, ``[B, K]``.
    weight: ``lambda``.

  Returns:
    ``(O^, (kl_estimate, reconstruction))``, the reconstruction unweighted.
  """
  kl = jnp.mean(generator_logits)
  rec = jnp.mean(losses.l2_reconstruction(z, z_rec))
  return kl + weight * rec, (kl, rec)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One iteration of Algorithm 1: D and (G, F) updated simultaneously.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  x = single_batch(batch, "veegan")
  n = x.shape[0]
  keys = step_keys(key, state.step, "prior", "reconstructor")
  G, F, D = state.generator, state.reconstructor, state.discriminator
  z = gaussian_prior(keys["prior"], n, cfg.latent_dim)

  # Generator and reconstructor: eq. 8 through D at its current parameters.
  def gf_loss_fn(nets):
    x_g = nets["generator"](z)
    generator_logits = ts.forward(D, (x_g, z))
    return objective(generator_logits, z, nets["reconstructor"](x_g),
                     cfg.reconstruction_weight)

  updated, g_loss, (kl, rec) = ts.minimize_jointly(
      {"generator": G, "reconstructor": F}, gf_loss_fn)

  # Discriminator: the generator's pairs (z, G(z)) against the
  # reconstructor's (z_g, x), z_g ~ N(F(x), sigma^2 I), from G and F before their update.
  x_g = jax.lax.stop_gradient(ts.forward(G, z))
  eps = jax.random.normal(keys["reconstructor"], (n, cfg.latent_dim))
  z_g = jax.lax.stop_gradient(ts.forward(F, x) + cfg.reconstructor_noise * eps)

  def d_loss_fn(d):
    generator_logits, reconstructor_logits = d((x_g, z)), d((x, z_g))
    return (discriminator_loss(generator_logits, reconstructor_logits),
            (generator_logits, reconstructor_logits))

  D, d_loss, (generator_logits, reconstructor_logits) = ts.minimize(D, d_loss_fn)

  metrics = {
      "discriminator_loss": d_loss,
      "generator_loss": g_loss,
      "kl_estimate": kl,
      "reconstruction": rec,
      "d_generator": jnp.mean(jax.nn.sigmoid(generator_logits)),
      "d_reconstructor": jnp.mean(jax.nn.sigmoid(reconstructor_logits)),
  }
  return state.replace(step=state.step + 1, discriminator=D, **updated), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``G(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.generator, key, num, state.config.latent_dim)


def encode(state: State, x: jax.Array) -> jax.Array:
  """The reconstructor's mean code ``F(x)`` of data ``x`` ``[B, *data_shape]``."""
  return ts.forward(state.reconstructor, x, train=False)


def reconstruct(state: State, x: jax.Array) -> jax.Array:
  """Reconstructions ``G(F(x))``."""
  return ts.forward(state.generator, encode(state, x), train=False)
