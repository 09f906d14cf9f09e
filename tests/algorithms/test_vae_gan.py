"""VAE-GAN (Larsen et al. 2016): the feature-space reconstruction term against a hand
computation, which loss reaches which network (Algorithm 1), the discriminators'
features output, and the config errors."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets
from gengan_jax.algorithms import vae_gan
from gengan_jax.core import ConfigError
from tests.algorithms.helpers import leaves_equal, tiny_config, tiny_data


def test_feature_log_likelihood_is_a_unit_gaussian_in_feature_space():
  """Eq. 9: ``log N(f(x) | f(x~), I) = -0.5 sum (f(x) - f(x~))^2 - (d/2) log 2 pi``."""
  rng = np.random.default_rng(0)
  f_x, f_xt = rng.normal(size=(2, 3, 4, 5))
  by_hand = -0.5 * ((f_x - f_xt) ** 2).reshape(3, -1).sum(1) - 10 * np.log(2 * np.pi)
  np.testing.assert_allclose(vae_gan.feature_log_likelihood(f_x, f_xt), by_hand, rtol=1e-5)


@pytest.mark.parametrize("layer", [0, 1, -1])
def test_the_reconstruction_term_is_measured_in_the_discriminators_lth_layer(layer):
  """``L_llike`` of a fixed MLP discriminator, by hand in numpy: its hidden
  layer ``l`` is ``h_l = relu(h_{l-1} W_l + b_l)``, ``h_{-1} = x``; the other
  layer's value differs, so the index is really used."""
  rng = np.random.default_rng(1)
  x, x_tilde = rng.normal(size=(2, 6, 2)).astype(np.float32)
  net = nets.MLPDiscriminator(hidden=(5, 4))
  params = net.init(jax.random.key(0), x, train=False)["params"]

  def hidden(v):
    out = []
    for i in range(2):
      w = {k: np.asarray(a) for k, a in params["mlp"][f"hidden_{i}"].items()}
      v = np.maximum(v @ w["kernel"] + w["bias"], 0.0)
      out.append(v)
    return out

  def by_hand(l):
    f_x, f_xt = hidden(x)[l], hidden(x_tilde)[l]
    return 0.5 * ((f_x - f_xt) ** 2).sum(1) + 0.5 * f_x.shape[1] * np.log(2 * np.pi)

  features = vae_gan.layer_features(
      lambda v, **kw: net.apply({"params": params}, v, train=False, **kw), layer)
  got = vae_gan.feature_reconstruction(features, jnp.asarray(x), jnp.asarray(x_tilde))
  np.testing.assert_allclose(got, by_hand(layer), rtol=1e-5, atol=1e-5)
  assert not np.allclose(got, by_hand(1 - layer % 2), rtol=1e-3)


def test_a_layer_the_discriminator_does_not_have_is_named():
  module, cfg = tiny_config("vae_gan", feature_layer=2)  # hidden (16, 16): layers 0, 1
  data = tiny_data("mlp", 1)
  state = jax.eval_shape(lambda k: module.init(k, cfg, data[0]), jax.random.key(0))
  with pytest.raises(ValueError, match=r"feature_layer=2 is invalid: .* 2 hidden layers"):
    jax.eval_shape(module.train_step, state, data, jax.random.key(1))


_INIT = jax.jit(vae_gan.init, static_argnums=1)
_STEP = jax.jit(vae_gan.train_step)


def _step_with(shift_discriminator_output=0.0, **overrides):
  """One jitted step from the same initial state, with ``overrides`` of the
  config and the discriminator's output bias shifted if asked."""
  _, cfg = tiny_config("vae_gan")
  data = jnp.asarray(tiny_data("mlp", 1))
  state = _INIT(jax.random.key(0), cfg, data[0])
  mlp = state.discriminator.params["mlp"]
  mlp = dict(mlp, out=dict(mlp["out"], bias=mlp["out"]["bias"] + shift_discriminator_output))
  state = state.replace(discriminator=state.discriminator.replace(params={"mlp": mlp}),
                        config=dataclasses.replace(cfg, **overrides))
  return state, _STEP(state, data, jax.random.key(1))[0]


def _same(a, b) -> bool:
  return all(np.array_equal(u, v) for u, v in zip(jax.tree.leaves(a.params),
                                                  jax.tree.leaves(b.params), strict=True))


def test_each_loss_reaches_only_the_networks_algorithm_1_updates_with_it():
  """Enc on ``L_prior + L_llike``, Dec on ``gamma L_llike`` and the GAN terms,
  Dis on ``-L_GAN`` -- checked by changing one term and seeing which updates
  move (bit for bit):

  * the discriminator's output layer (``L_GAN`` only; the features are its
    hidden layers): the encoder's update is unchanged -- the GAN's error
    signal does not reach it -- while the decoder's and the discriminator's
    change;
  * ``gamma``: only the decoder's update changes;
  * ``feature_layer`` (``L_llike`` in another layer): the encoder's and the
    decoder's change, the discriminator's does not (it never sees ``L_llike``).
  """
  base_state, base = _step_with()
  _, shifted = _step_with(shift_discriminator_output=0.5)
  assert _same(base.encoder, shifted.encoder)
  assert not _same(base.decoder, shifted.decoder)
  assert not _same(base.discriminator, shifted.discriminator)

  _, gamma = _step_with(gamma=10.0)
  assert _same(base.encoder, gamma.encoder)
  assert _same(base.discriminator, gamma.discriminator)
  assert not _same(base.decoder, gamma.decoder)

  _, layer = _step_with(feature_layer=0, gamma=10.0)
  assert not _same(gamma.encoder, layer.encoder)
  assert not _same(gamma.decoder, layer.decoder)
  assert _same(gamma.discriminator, layer.discriminator)
  assert not _same(base_state.encoder, base.encoder)


@pytest.mark.parametrize("arch, shape", [("mlp", (2,)), ("dcgan", (28, 28, 1))])
def test_the_discriminators_features_leave_their_logits_unchanged(arch, shape):
  """``return_features=True`` returns the same logits bit for bit (and the
  same parameters), plus every hidden layer's output: ``len(hidden)`` MLP
  layers, 2 conv maps at 28 pixels."""
  net = nets.make_discriminator(arch, data_shape=shape,
                                **({"hidden": (5, 4)} if arch == "mlp" else {"base_features": 2}))
  x = jnp.asarray(np.random.default_rng(2).normal(size=(3, *shape)), jnp.float32)
  variables = net.init(jax.random.key(0), x, train=False)
  with_features = net.init(jax.random.key(0), x, train=False, return_features=True)
  leaves_equal(variables, with_features)
  logits = net.apply(variables, x, train=False)
  logits_too, features = net.apply(variables, x, train=False, return_features=True)
  np.testing.assert_array_equal(logits, logits_too)
  if arch == "mlp":
    assert [f.shape for f in features] == [(3, 5), (3, 4)]
  else:
    assert [f.shape for f in features] == [(3, 14, 14, 2), (3, 7, 7, 4)]


@pytest.mark.parametrize("fields, match", [
    (dict(gamma=-1.0), "gamma=-1.0"),
    (dict(feature_layer=1.5), "feature_layer=1.5 has the wrong type"),
    (dict(feature_layer=True), "feature_layer=True has the wrong type"),
    (dict(generator_loss="hinge"), "generator_loss='hinge' is invalid"),
])
def test_bad_settings_are_one_line_naming_the_field(fields, match):
  with pytest.raises(ConfigError, match=match):
    vae_gan.Config(**fields)
