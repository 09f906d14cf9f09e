"""AAE, WAE-GAN and WAE-MMD: their steps by hand, the latent MMD in closed form, and
where WAE-GAN is the AAE.

* AAE with plain SGD: the reconstruction phase, then the code discriminator,
  then the encoder against the updated discriminator, each update recomputed
  from its loss written out here.
* WAE-MMD: the penalty is the authors' IMQ-kernel U-statistic summed over
  seven scales (a numpy transcription of their ``mmd_penalty``), and the step
  descends ``0.05 ||x - G(Q(x))||^2 + lambda MMD`` jointly.
* WAE-GAN with ``lambda = 1``, ``cost_scale = 1`` and a deterministic encoder
  has the AAE's terms (reconstruction, code-discriminator loss,
  non-saturating encoder loss); the two algorithms' updates coincide where
  their schedules do: with SGD and a decoder whose output ignores the code
  (its last kernel zero), the AAE's reconstruction phase leaves the encoder
  where it was, and one step of each gives the same three networks. With the
  decoder's kernel left as initialised they differ (AAE moves the encoder
  twice, WAE-GAN once on the sum), which the test also shows.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import algorithms
from gengan_jax.algorithms import aae, wae, wae_gan, wae_mmd
from gengan_jax.core import ConfigError, from_mapping
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, step_keys

LR = 0.1
SGD = dict(learning_rate=LR, name="sgd")
TINY = dict(arch="mlp", latent_dim=3, hidden=(8,))
X = np.tanh(np.random.default_rng(0).normal(size=(1, 8, 2))).astype(np.float32)
KEY = jax.random.key(1)


def _prior(n, d):
  """The step's prior draw, as the three steps take it (step 0)."""
  return gaussian_prior(step_keys(KEY, 0, "prior", "encoder")["prior"], n, d)


def _softplus(v):
  return jnp.logaddexp(0.0, v)


def _apply(state, params, v):
  return state.apply_fn({"params": params}, v, train=True)


def _close(a, b, rtol=1e-5, atol=1e-6):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def _sgd(params, grads):
  return jax.tree.map(lambda p, g: p - LR * g, params, grads)


@pytest.fixture(scope="module")
def aae_sgd():
  """A tiny AAE with SGD everywhere, its initial state and its compiled step."""
  cfg = from_mapping(aae.Config, dict(**TINY, code_discriminator_hidden=(8,),
                                      encoder_optimizer=SGD, decoder_optimizer=SGD,
                                      code_discriminator_optimizer=SGD))
  return cfg, aae.init(jax.random.key(0), cfg, X[0]), jax.jit(aae.train_step)


# ---------------------------------------------------------------------------
# The IMQ-kernel MMD of the authors' code.


def _authors_mmd(qz, pz, scales=wae_mmd.MMD_SCALES):
  """The IMQ branch of ``WAE.mmd_penalty`` (github.com/tolstikhin/wae), in numpy."""
  qz, pz = np.asarray(qz, np.float64), np.asarray(pz, np.float64)
  n, d = qz.shape
  sq = lambda a, b: ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)  # noqa: E731
  d_qq, d_pp, d_qp = sq(qz, qz), sq(pz, pz), sq(qz, pz)
  c_base = 2.0 * d * 1.0  # 2 d_z sigma_z^2, N(0, I)
  stat = 0.0
  for s in scales:
    c = c_base * s
    res1 = (c / (c + d_qq) + c / (c + d_pp)) * (1.0 - np.eye(n))
    stat += res1.sum() / (n * n - n) - 2.0 * (c / (c + d_qp)).sum() / (n * n)
  return stat


def test_mmd_penalty_is_the_authors_imq_u_statistic():
  rng = np.random.default_rng(1)
  qz = (0.5 * rng.normal(size=(6, 3)) + 0.3).astype(np.float32)
  pz = rng.normal(size=(6, 3)).astype(np.float32)
  expected = _authors_mmd(qz, pz)
  np.testing.assert_allclose(wae_mmd.mmd_penalty(qz, pz), expected, rtol=1e-5)
  # One scale, by hand: C = 2 * 3 = 6, a single IMQ kernel.
  np.testing.assert_allclose(wae_mmd.mmd_penalty(qz, pz, scales=(1.0,)),
                             _authors_mmd(qz, pz, scales=(1.0,)), rtol=1e-5)
  assert expected > 0.05  # the two samples differ: the check has something to see
  # C follows the prior's variance: sigma^2 = 4 is the same as scales times 4.
  np.testing.assert_allclose(wae_mmd.mmd_penalty(qz, pz, prior_variance=4.0),
                             _authors_mmd(qz, pz, scales=[4 * s for s in wae_mmd.MMD_SCALES]),
                             rtol=1e-5)


def test_wae_mmd_step_descends_the_cost_plus_lambda_mmd():
  cfg = from_mapping(wae_mmd.Config, dict(**TINY, optimizer=SGD))
  assert (cfg.lambda_penalty, cfg.cost_scale) == (10.0, 0.05)
  state = wae_mmd.init(jax.random.key(0), cfg, X[0])
  new, metrics = jax.jit(wae_mmd.train_step)(state, X, KEY)
  x, z = X[0], _prior(8, 3)
  E, G = state.encoder, state.decoder

  def objective(pe, pg, mmd):
    z_tilde = _apply(E, pe, x)
    rec = 0.05 * jnp.mean(jnp.sum((x - _apply(G, pg, z_tilde)) ** 2, axis=1))
    return rec + 10.0 * mmd(z_tilde), rec

  rec = objective(E.params, G.params, lambda _: 0.0)[1]
  mmd = _authors_mmd(_apply(E, E.params, x), z)
  np.testing.assert_allclose(metrics["reconstruction_loss"], rec, rtol=1e-5)
  np.testing.assert_allclose(metrics["mmd"], mmd, rtol=1e-4)
  np.testing.assert_allclose(metrics["loss"], rec + 10.0 * mmd, rtol=1e-4)
  # One joint SGD step; the MMD's gradient through jnp, independently of losses.mmd2.

  def jnp_mmd(qz):
    n = qz.shape[0]
    sq = lambda a, b: jnp.sum((a[:, None] - b[None]) ** 2, -1)  # noqa: E731
    total = 0.0
    for s in wae_mmd.MMD_SCALES:
      c = 6.0 * s
      off = 1.0 - jnp.eye(n)
      total += (jnp.sum((c / (c + sq(qz, qz)) + c / (c + sq(z, z))) * off) / (n * n - n)
                - 2.0 * jnp.sum(c / (c + sq(qz, z))) / (n * n))
    return total

  ge, gg = jax.jit(jax.grad(lambda pe, pg: objective(pe, pg, jnp_mmd)[0], argnums=(0, 1)))(
      E.params, G.params)
  _close(new.encoder.params, _sgd(E.params, ge))
  _close(new.decoder.params, _sgd(G.params, gg))


def test_wae_gaussian_encoder_descends_the_log_variance_penalty_too():
  """Rubenstein et al. (2018): ``+ lambda_lv mean_i sum_j |log sigma_ij^2|``, one joint SGD step."""
  cfg = from_mapping(wae_mmd.Config, dict(**TINY, optimizer=SGD, encoder="gaussian",
                                          lambda_log_variance=0.3, mmd_scales=(1.0,)))
  state = wae_mmd.init(jax.random.key(0), cfg, X[0])
  new, metrics = jax.jit(wae_mmd.train_step)(state, X, KEY)
  x, z = X[0], _prior(8, 3)
  eps = jax.random.normal(step_keys(KEY, 0, "prior", "encoder")["encoder"], (8, 3))
  E, G = state.encoder, state.decoder

  def objective(pe, pg, weight=0.3):
    mean, log_scale = _apply(E, pe, x)
    z_tilde = mean + jnp.exp(log_scale) * eps
    rec = 0.05 * jnp.mean(jnp.sum((x - _apply(G, pg, z_tilde)) ** 2, axis=1))
    n, sq = 8, lambda a, b: jnp.sum((a[:, None] - b[None]) ** 2, -1)  # noqa: E731
    c, off = 6.0, 1.0 - jnp.eye(8)
    mmd = (jnp.sum((c / (c + sq(z_tilde, z_tilde)) + c / (c + sq(z, z))) * off) / (n * n - n)
           - 2.0 * jnp.sum(c / (c + sq(z_tilde, z))) / (n * n))
    penalty = jnp.mean(jnp.sum(jnp.abs(2.0 * log_scale), axis=1))
    return rec + 10.0 * mmd + weight * penalty, (penalty, jnp.mean(log_scale))

  loss, (penalty, mean_log_scale) = objective(E.params, G.params)
  assert float(0.3 * penalty) > 1e-2  # the comparison can tell the penalty's absence
  np.testing.assert_allclose(metrics["loss"], loss, rtol=1e-5)
  np.testing.assert_allclose(metrics["posterior_log_scale"], mean_log_scale, rtol=1e-5)
  ge, gg = jax.jit(jax.grad(lambda pe, pg: objective(pe, pg)[0], argnums=(0, 1)))(
      E.params, G.params)
  _close(new.encoder.params, _sgd(E.params, ge))
  _close(new.decoder.params, _sgd(G.params, gg))
  # Without the penalty the encoder would have stepped elsewhere.
  ge0 = jax.grad(lambda pe: objective(pe, G.params, weight=0.0)[0])(E.params)
  assert any(not np.allclose(a, b, atol=1e-5) for a, b in zip(
      jax.tree.leaves(_sgd(E.params, ge0)), jax.tree.leaves(new.encoder.params)))


def test_wae_gan_reports_the_posterior_scale_of_a_gaussian_encoder_only():
  for encoder, weight in (("gaussian", 0.1), ("deterministic", 0.0), ("universal", 0.0)):
    cfg = from_mapping(wae_gan.Config, dict(**TINY, encoder=encoder, lambda_log_variance=weight,
                                            latent_discriminator_hidden=(8,)))
    state = wae_gan.init(jax.random.key(0), cfg, X[0])
    _, metrics = wae_gan.train_step(state, X, KEY)
    assert ("posterior_log_scale" in metrics) == (encoder == "gaussian")
    assert {"loss", "reconstruction_loss", "adversarial_penalty"} <= set(metrics)


# ---------------------------------------------------------------------------
# AAE: the two phases by hand.


def test_aae_step_is_the_reconstruction_phase_then_the_regularisation_phase(aae_sgd):
  cfg, state, step = aae_sgd
  new, metrics = step(state, X, KEY)
  x, z = X[0], _prior(8, 3)
  E, G, C = state.encoder, state.decoder, state.code_discriminator

  # Reconstruction phase: encoder and decoder on mean ||x - Dec(E(x))||^2.
  def rec_fn(pe, pg):
    return jnp.mean(jnp.sum((x - _apply(G, pg, _apply(E, pe, x))) ** 2, axis=1))

  ge, gg = jax.grad(rec_fn, argnums=(0, 1))(E.params, G.params)
  e1, g1 = _sgd(E.params, ge), _sgd(G.params, gg)
  np.testing.assert_allclose(metrics["reconstruction_loss"], rec_fn(E.params, G.params),
                             rtol=1e-5)
  _close(new.decoder.params, g1)  # the decoder moves only here

  # C: prior samples real, the codes of the encoder left by phase 1 fake.
  z_tilde = _apply(E, e1, x)

  def c_fn(pc):
    return (jnp.mean(_softplus(-_apply(C, pc, z)))
            + jnp.mean(_softplus(_apply(C, pc, z_tilde))))

  c1 = _sgd(C.params, jax.grad(c_fn)(C.params))
  np.testing.assert_allclose(metrics["code_discriminator_loss"], c_fn(C.params), rtol=1e-5)
  _close(new.code_discriminator.params, c1)

  # The encoder, as the generator of codes, against the updated C: -log C(E(x)).
  def e_fn(pe):
    return jnp.mean(_softplus(-_apply(C, c1, _apply(E, pe, x))))

  np.testing.assert_allclose(metrics["encoder_adversarial_loss"], e_fn(e1), rtol=1e-5)
  _close(new.encoder.params, _sgd(e1, jax.grad(e_fn)(e1)))


# ---------------------------------------------------------------------------
# WAE-GAN is the AAE where the schedules coincide.


def _zero_output_kernel(state):
  params = jax.tree_util.tree_map_with_path(
      lambda path, p: jnp.zeros_like(p) if jax.tree_util.keystr(path).endswith(
          "['out']['kernel']") else p, state.params)
  return state.replace(params=params)


def _as_wae_gan(aae_state, lambda_penalty=1.0):
  cfg = from_mapping(wae_gan.Config, dict(
      **TINY, latent_discriminator_hidden=(8,), lambda_penalty=lambda_penalty, cost_scale=1.0,
      optimizer=SGD, latent_discriminator_optimizer=SGD))
  return wae_gan.State(step=aae_state.step, encoder=aae_state.encoder,
                       decoder=aae_state.decoder,
                       latent_discriminator=aae_state.code_discriminator, config=cfg)


def test_wae_gan_with_lambda_one_is_the_aae_where_the_schedules_coincide(aae_sgd):
  _, state, aae_step = aae_sgd
  wae_step = jax.jit(wae_gan.train_step)
  blind = state.replace(decoder=_zero_output_kernel(state.decoder))
  a_new, a_m = aae_step(blind, X, KEY)
  w_new, w_m = wae_step(_as_wae_gan(blind), X, KEY)
  assert not np.allclose(jax.tree.leaves(a_new.encoder.params)[0],
                         jax.tree.leaves(state.encoder.params)[0])  # the encoder moved
  _close(w_new.encoder.params, a_new.encoder.params, rtol=1e-6, atol=1e-7)
  _close(w_new.decoder.params, a_new.decoder.params, rtol=1e-6, atol=1e-7)
  _close(w_new.latent_discriminator.params, a_new.code_discriminator.params,
         rtol=1e-6, atol=1e-7)
  np.testing.assert_allclose(w_m["reconstruction_loss"], a_m["reconstruction_loss"], rtol=1e-6)
  np.testing.assert_allclose(w_m["latent_discriminator_loss"], a_m["code_discriminator_loss"],
                             rtol=1e-6)
  np.testing.assert_allclose(w_m["adversarial_penalty"], a_m["encoder_adversarial_loss"],
                             rtol=1e-6)
  np.testing.assert_allclose(w_m["loss"], a_m["reconstruction_loss"]
                             + a_m["encoder_adversarial_loss"], rtol=1e-6)
  # lambda = 2.5 (eager: one step): it scales D_gamma's loss, hence its SGD
  # step, and the penalty in the auto-encoder's objective.
  w2_new, w2_m = wae_gan.train_step(_as_wae_gan(blind, 2.5), X, KEY)
  np.testing.assert_allclose(w2_m["latent_discriminator_loss"],
                             2.5 * a_m["code_discriminator_loss"], rtol=1e-5)
  _close(jax.tree.map(lambda a, b: a - b, w2_new.latent_discriminator.params,
                      blind.code_discriminator.params),
         jax.tree.map(lambda a, b: 2.5 * (a - b), a_new.code_discriminator.params,
                      blind.code_discriminator.params), rtol=1e-4, atol=1e-7)
  np.testing.assert_allclose(w2_m["loss"], w2_m["reconstruction_loss"]
                             + 2.5 * w2_m["adversarial_penalty"], rtol=1e-6)

  # With a decoder that reads the code, the reconstruction moves the encoder
  # before C sees its codes in the AAE: the schedules, and the steps, differ.
  a_new, a_m = aae_step(state, X, KEY)
  w_new, w_m = wae_step(_as_wae_gan(state), X, KEY)
  np.testing.assert_allclose(w_m["reconstruction_loss"], a_m["reconstruction_loss"], rtol=1e-6)
  assert abs(float(w_m["latent_discriminator_loss"] - a_m["code_discriminator_loss"])) > 1e-6
  assert not np.allclose(jax.tree.leaves(w_new.encoder.params)[0],
                         jax.tree.leaves(a_new.encoder.params)[0], rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------------
# The encoders of Makhzani et al., Sec. 2.


def test_gaussian_encoder_is_reparameterised_and_encodes_its_mean():
  cfg = from_mapping(aae.Config, dict(**TINY, encoder="gaussian"))
  E = aae.init_encoder(cfg, jax.random.key(0), X[0], cfg.encoder_optimizer)
  x, key = X[0], jax.random.key(4)
  mean, log_scale = ts.forward(E, x)
  z = aae.codes(cfg, lambda v: ts.forward(E, v), x, key)
  np.testing.assert_allclose(z, mean + jnp.exp(log_scale) * jax.random.normal(key, mean.shape),
                             rtol=1e-6)
  np.testing.assert_allclose(aae.code_of(cfg, E, x), mean, rtol=1e-6)


def test_universal_encoder_reads_noise_concatenated_to_its_input():
  cfg = from_mapping(aae.Config, dict(**TINY, encoder="universal", noise_dim=5))
  E = aae.init_encoder(cfg, jax.random.key(0), X[0], cfg.encoder_optimizer)
  assert E.params["mlp"]["hidden_0"]["kernel"].shape == (2 + 5, 8)
  x, key = X[0], jax.random.key(4)
  eta = jax.random.normal(key, (8, 5))
  np.testing.assert_allclose(aae.codes(cfg, lambda v: ts.forward(E, v), x, key),
                             ts.forward(E, jnp.concatenate([x, eta], -1)), rtol=1e-6)
  other = aae.codes(cfg, lambda v: ts.forward(E, v), x, jax.random.key(5))
  assert not np.allclose(other, aae.codes(cfg, lambda v: ts.forward(E, v), x, key))
  np.testing.assert_allclose(aae.code_of(cfg, E, x),
                             ts.forward(E, jnp.concatenate([x, jnp.zeros((8, 5))], -1)),
                             rtol=1e-6)


def test_universal_encoder_on_images_takes_the_noise_as_channels():
  module, cfg = algorithms.get("wae_gan"), from_mapping(wae_gan.Config, dict(
      arch="dcgan", latent_dim=4, base_features=4, encoder="universal", noise_dim=3,
      latent_discriminator_hidden=(8,)))
  x = np.zeros((1, 4, 28, 28, 1), np.float32)
  state = jax.eval_shape(lambda k: module.init(k, cfg, x[0]), jax.random.key(0))
  in_channels = {p.shape[-2] for p in jax.tree.leaves(state.encoder.params) if p.ndim == 4}
  assert 1 + 3 in in_channels
  new, _ = jax.eval_shape(module.train_step, state, x, KEY)
  assert jax.tree.structure(new) == jax.tree.structure(state)
  assert jax.eval_shape(module.encode, state, x[0]).shape == (4, 4)


def test_the_wae_presets_share_the_auto_encoder():
  for module in (wae_gan, wae_mmd):
    assert module.sample is wae.sample and module.encode is wae.encode
    assert module.reconstruct is wae.reconstruct
  assert issubclass(wae_gan.State, wae.State) and wae_mmd.State is wae.State


@pytest.mark.parametrize("module, fields, message", [
    (aae, dict(encoder="implicit"),
     "encoder='implicit' is invalid: valid choices are 'deterministic', 'gaussian', 'universal'"),
    (aae, dict(noise_dim=0), "noise_dim=0 is invalid: must be an integer >= 1"),
    (aae, dict(code_discriminator_hidden=()), "code_discriminator_hidden=\\(\\) is invalid"),
    (wae_gan, dict(lambda_penalty=-1.0), "lambda_penalty=-1.0 is invalid: must be >= 0"),
    (wae_gan, dict(latent_discriminator_hidden=(0,)), "latent_discriminator_hidden=\\(0,\\)"),
    (wae_mmd, dict(cost_scale=0.0), "cost_scale=0.0 is invalid: must be > 0"),
    (wae_mmd, dict(mmd_scales=(1.0, -2.0)), "mmd_scales=\\(1.0, -2.0\\) is invalid"),
    (wae_mmd, dict(encoder="vampprior"), "encoder='vampprior' is invalid"),
    (wae_mmd, dict(encoder="universal", lambda_log_variance=0.1),
     "lambda_log_variance=0.1 is invalid: must be 0 unless encoder='gaussian'"),
    (wae_gan, dict(encoder="gaussian", lambda_log_variance=-0.5),
     "lambda_log_variance=-0.5 is invalid: must be >= 0"),
    (aae, dict(encoder="gaussian", log_scale_bound=-1.0),
     "log_scale_bound=-1.0 is invalid: must be None, or > 0 with encoder='gaussian'"),
    (wae_mmd, dict(encoder="universal", log_scale_bound=5.0),
     "log_scale_bound=5.0 is invalid: must be None, or > 0 with encoder='gaussian'"),
])
def test_config_errors_name_the_field(module, fields, message):
  with pytest.raises(ConfigError, match=message):
    from_mapping(module.Config, dict(TINY, **fields))
