r"""VAE-GAN: a VAE whose reconstruction is measured in a GAN discriminator's features.

Larsen, Sønderby, Larochelle & Winther, "Autoencoding beyond pixels using a
learned similarity metric" (ICML 2016, arXiv:1512.09300), Algorithm 1.
Three networks, each with its own optimizer: the encoder ``Enc`` (a
Gaussian ``q(z | x)``, :func:`networks.gaussian_encoder`), the
decoder/generator ``Dec`` (:func:`networks.generator`) and the discriminator
``Dis`` (:func:`networks.discriminator`), whose ``l``-th hidden layer
``Dis_l`` (``feature_layer``) is the space reconstructions are compared in.
With ``z ~ q(z | x)`` (reparameterised), ``x~ = Dec(z)`` and ``x_p =
Dec(z_p)``, ``z_p ~ N(0, I)``:

.. math::

  \mathcal L_{prior} &= \mathrm{KL}(q(z \mid x) \,\|\, p(z)) \\
  \mathcal L^{Dis_l}_{llike} &= -\log \mathcal N(Dis_l(x) \mid Dis_l(\tilde x), I)
      \quad \text{(eqs. 8-9)} \\
  \mathcal L_{GAN} &= \log Dis(x) + \log(1 - Dis(\tilde x)) + \log(1 - Dis(x_p))

and the updates of Algorithm 1, all at the same parameters:

* encoder:       ``L_prior + L_llike`` (no GAN term: the paper keeps the
  GAN's error signal out of the encoder);
* decoder:       ``gamma L_llike`` plus the generator's side of ``L_GAN`` on
  ``x~`` and ``x_p`` (``gamma`` weighs reconstruction against fooling Dis);
* discriminator: ``-L_GAN`` (it never sees ``L_llike``).

Read literally, Algorithm 1's decoder step ``-grad(gamma L_llike - L_GAN)``
would have the decoder ascend ``L_GAN`` together with the discriminator; as
in every GAN the generator *descends* ``L_GAN``'s fake terms, and the
authors' code (andersbll/autoencoding_beyond_pixels, ``model/aegan.py``)
does exactly that: its decoder descends ``w NLL + (1 - w) sum log(1 -
Dis(Dec(z)))``, the saturating minimax form, with ``w =
recon_vs_gan_weight``, i.e. ``gamma = w / (1 - w)``. ``generator_loss='minimax'`` is that form (the default);
``'non_saturating'`` uses ``-log Dis(Dec(z))``. ``gamma = 1e-6`` is their
CelebA value (``celeba_aegan.py``); it is tied to the size of their feature
layer (a sum over a 256-channel map), so smaller networks want a larger one
(the experiment configs set it per data set).

Per-example terms are sums (over latent dimensions, over features), averaged
over the batch. Features are each hidden layer's output after its activation
(the authors' CelebA run takes their fourth convolution's output before its
batch norm); ``Dis_l(x)`` and ``Dis_l(x~)`` come from one pass over both
batches, as in their code. Left out: their code's equilibrium rule (skip the
decoder's or the discriminator's update when the discriminator's loss leaves
``0.68 +- 0.35``) and its learning-rate annealing, neither of which is in
Algorithm 1.

One ``train_step``: draw ``eps`` and ``z_p``, then the three updates, each
at the parameters the step started from. Metrics: ``encoder_loss``,
``decoder_loss``, ``discriminator_loss``, ``kl`` (``L_prior``),
``feature_reconstruction`` (``L_llike``, nats), ``d_real`` and ``d_fake``
(``Dis`` on ``x`` and on ``x_p``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import networks
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import AlgorithmState, ConfigError, OptimizerConfig, check, check_choice
from gengan_jax.core import single_batch
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys

GENERATOR_LOSSES = {
    "minimax": losses.generator_minimax_loss,
    "non_saturating": losses.generator_non_saturating_loss,
}
Features = Callable[[jax.Array], jax.Array]


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """VAE-GAN hyper-parameters.

  Attributes:
    gamma: the weight of ``L_llike`` in the decoder's loss, >= 0 (Algorithm
      1; the authors' CelebA run: 1e-6).
    feature_layer: ``l``: which of the discriminator's hidden layers is
      ``Dis_l``, a Python index (``-1``, the default: the last; ``mlp`` has
      ``len(hidden)`` layers, ``dcgan`` 2, 3 or 4 convs for 28, 32, 64 pixels).
    generator_loss: ``'minimax'`` (``log(1 - Dis(x))``, the authors' code) or
      ``'non_saturating'`` (``-log Dis(x)``).
    encoder_optimizer, decoder_optimizer, discriminator_optimizer: RMSProp
      3e-4 (the authors' code: RMSProp from 0.025 / 64 ~ 3.9e-4, annealed).
  """

  gamma: float = 1e-6
  feature_layer: int = -1
  generator_loss: str = "minimax"
  encoder_optimizer: OptimizerConfig = OptimizerConfig(3e-4, name="rmsprop")
  decoder_optimizer: OptimizerConfig = OptimizerConfig(3e-4, name="rmsprop")
  discriminator_optimizer: OptimizerConfig = OptimizerConfig(3e-4, name="rmsprop")

  def __post_init__(self):
    super().__post_init__()
    check(self.gamma >= 0, "gamma", self.gamma, ">= 0")
    if isinstance(self.feature_layer, bool) or not isinstance(self.feature_layer, int):
      raise ConfigError(f"config value feature_layer={self.feature_layer!r} has the wrong "
                        "type: expected an integer (an index of the discriminator's hidden "
                        "layers, -1: the last).")
    check_choice("generator_loss", self.generator_loss, GENERATOR_LOSSES)


class State(AlgorithmState):
  """The encoder ``q(z | x)``, the decoder ``Dec(z)`` and the discriminator ``Dis(x)``."""

  encoder: ts.TrainState
  decoder: ts.TrainState
  discriminator: ts.TrainState


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises Enc, Dec and Dis for data shaped like ``example_batch[0]``."""
  e_key, d_key, dis_key = jax.random.split(key, 3)
  return State(
      step=jnp.zeros((), jnp.int32),
      encoder=networks.gaussian_encoder(config, e_key, example_batch, config.encoder_optimizer),
      decoder=networks.generator(config, d_key, example_batch, config.decoder_optimizer),
      discriminator=networks.discriminator(config, dis_key, example_batch,
                                           config.discriminator_optimizer),
      config=config)


def feature_log_likelihood(features_x: jax.Array, features_x_tilde: jax.Array) -> jax.Array:
  r"""``log N(Dis_l(x) | Dis_l(x~), I)``, per example (eq. 9): ``-L_llike``.

  .. math::

    \log p(Dis_l(x) \mid z) = -\tfrac12 \sum_j \bigl(Dis_l(x)_j - Dis_l(\tilde x)_j\bigr)^2
                              - \tfrac{d}{2} \log 2\pi

  Args:
    features_x: ``[B, ...]`` the layer's output on the data.
    features_x_tilde: the same on the reconstructions ``Dec(z)``.

  Returns:
    ``[B]`` nats.
  """
  return losses.gaussian_log_likelihood(features_x, features_x_tilde, 0.0)


def layer_features(discriminator: Callable[..., tuple[jax.Array, tuple[jax.Array, ...]]],
                   layer: int) -> Features:
  """``x -> Dis_l(x)``: the discriminator's hidden layer ``layer`` (a Python index).

  Raises:
    ValueError: ``layer`` is not an index of the discriminator's hidden layers.
  """

  def features(x):
    hidden = discriminator(x, return_features=True)[1]
    if not -len(hidden) <= layer < len(hidden):
      raise ValueError(f"feature_layer={layer} is invalid: this discriminator has "
                       f"{len(hidden)} hidden layers, so valid values are "
                       f"{-len(hidden)} .. {len(hidden) - 1}.")
    return hidden[layer]

  return features


def feature_reconstruction(features: Features, x: jax.Array, x_tilde: jax.Array) -> jax.Array:
  """``L_llike`` per example: ``-log N(Dis_l(x) | Dis_l(x~), I)``, one pass over ``[x~; x]``."""
  f = features(jnp.concatenate([x_tilde, x], axis=0))
  f_x_tilde, f_x = jnp.split(f, 2, axis=0)
  return -feature_log_likelihood(f_x, f_x_tilde)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One iteration of Algorithm 1.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  x = single_batch(batch, "vae_gan")
  n = x.shape[0]
  keys = step_keys(key, state.step, "posterior", "prior")
  z_p = gaussian_prior(keys["prior"], n, cfg.latent_dim)
  Enc, Dec, Dis = state.encoder, state.decoder, state.discriminator
  generator_loss = GENERATOR_LOSSES[cfg.generator_loss]
  dis_features = layer_features(lambda v, **kw: ts.forward(Dis, v, **kw), cfg.feature_layer)

  def posterior_sample(enc):
    mean, log_scale = enc(x)
    return losses.gaussian_sample(keys["posterior"], mean, log_scale), mean, log_scale

  # Encoder: L_prior + L_llike (the GAN's error signal does not reach it).
  def enc_loss_fn(enc):
    z, mean, log_scale = posterior_sample(enc)
    kl = losses.gaussian_kl(mean, 2.0 * log_scale)
    llike = feature_reconstruction(dis_features, x, ts.forward(Dec, z))
    return jnp.mean(kl + llike), (jnp.mean(kl), jnp.mean(llike))

  Enc_new, enc_loss, (kl, llike) = ts.minimize(Enc, enc_loss_fn)

  # Decoder: gamma L_llike, and make x~ and x_p look real to Dis.
  z = jax.lax.stop_gradient(posterior_sample(lambda v: ts.forward(Enc, v))[0])

  def dec_loss_fn(dec):
    x_tilde, x_p = dec(z), dec(z_p)
    llike = feature_reconstruction(dis_features, x, x_tilde).mean()
    gan = (generator_loss(ts.forward(Dis, x_tilde)).mean()
           + generator_loss(ts.forward(Dis, x_p)).mean())
    return cfg.gamma * llike + gan, None

  Dec_new, dec_loss, _ = ts.minimize(Dec, dec_loss_fn)

  # Discriminator: -L_GAN (x real; x~ and x_p fake).
  x_tilde = jax.lax.stop_gradient(ts.forward(Dec, z))
  x_p = jax.lax.stop_gradient(ts.forward(Dec, z_p))

  def dis_loss_fn(dis):
    real, rec, gen = dis(x), dis(x_tilde), dis(x_p)
    loss = (losses.discriminator_real_loss(real).mean()
            + losses.discriminator_fake_loss(rec).mean()
            + losses.discriminator_fake_loss(gen).mean())
    return loss, (real, gen)

  Dis_new, dis_loss, (real, gen) = ts.minimize(Dis, dis_loss_fn)

  metrics = {"encoder_loss": enc_loss, "decoder_loss": dec_loss,
             "discriminator_loss": dis_loss, "kl": kl, "feature_reconstruction": llike,
             "d_real": jnp.mean(jax.nn.sigmoid(real)), "d_fake": jnp.mean(jax.nn.sigmoid(gen))}
  return state.replace(step=state.step + 1, encoder=Enc_new, decoder=Dec_new,
                       discriminator=Dis_new), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """Draws ``num`` samples ``Dec(z)``, ``z ~ N(0, I)`` (BN in inference mode)."""
  return networks.sample(state.decoder, key, num, state.config.latent_dim)


def encode(state: State, x: jax.Array) -> jax.Array:
  """The posterior mean ``mu(x)`` of data ``x`` ``[B, *data_shape]``."""
  return ts.forward(state.encoder, x, train=False)[0]


def reconstruct(state: State, x: jax.Array) -> jax.Array:
  """Reconstructions ``Dec(mu(x))``."""
  return ts.forward(state.decoder, encode(state, x), train=False)
