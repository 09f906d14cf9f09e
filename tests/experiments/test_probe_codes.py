"""experiments/probe_codes.py: its numbers against direct computations on a tiny
trained alpha-GAN, and one-line refusals."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments import probe_codes
from gengan_jax.core import train_state as ts
from gengan_jax.data import toy_mixture
from gengan_jax.train import loop
from gengan_jax.use.loading import load
from tests.train import _runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
  out = {}
  for encoder in ("deterministic", "gaussian"):
    c = _runs.config("alpha_gan", 4)  # checkpoints at steps 2 and 4
    c.model.latent_dim = 3
    c.model.encoder = encoder
    out[encoder] = str(tmp_path_factory.mktemp(encoder))
    loop.train(c, out[encoder], devices=jax.devices()[:1])
  return out


def test_row_of_a_deterministic_encoder(runs):
  r = probe_codes.probe(runs["deterministic"], num=50, seed=1)
  assert (r["latent"], r["encoder"], r["code_noise"]) == (3, "deterministic", 0.0)
  model, mixture = load(runs["deterministic"]), toy_mixture("ring")
  np.testing.assert_allclose(
      r["code_spread"], model.encode(mixture.means.astype(np.float32)).std(0).mean(), rtol=1e-5)
  assert 0 <= r["purity"] <= 1 and 0 <= r["high_quality"] <= 1
  assert r["prior_to_code"] > 0 and r["code_to_code"] >= 0
  assert r["x_linear_in_code"] <= 1 and r["g_linear_in_z"] <= 1
  assert r["code_width"] > 0 and r["gain_at_codes"] > 0 and r["gain_at_prior"] > 0
  # The gain at the codes, recomputed from the probe's own points (seed 1: its data draws).
  rng = np.random.default_rng(1)
  modes = rng.integers(mixture.num_modes, size=50)
  x = (mixture.means[modes] + mixture.std * rng.standard_normal((50, 2))).astype(np.float32)
  decoder = model.state.generator
  gains = probe_codes.decoder_gains(lambda z: ts.forward(decoder, z, train=False),
                                   np.asarray(model.encode(x)))
  np.testing.assert_allclose(r["gain_at_codes"], np.median(gains), rtol=1e-4)
  assert probe_codes.row(r).count("|") == 13


def test_step_reads_an_earlier_checkpoint(runs, capsys):
  newest, earlier = (probe_codes.probe(runs["deterministic"], num=50, seed=1, step=s)
                     for s in (None, 2))
  assert (newest["step"], earlier["step"]) == (4, 2)
  assert newest["code_spread"] != earlier["code_spread"]  # two updates of the encoder apart
  np.testing.assert_allclose(
      earlier["code_spread"],
      load(runs["deterministic"], 2).encode(toy_mixture("ring").means.astype(np.float32))
      .std(0).mean(), rtol=1e-5)
  probe_codes.main([runs["deterministic"], "--num=50", "--step=2"])
  assert f"| {runs['deterministic']} @ 2 |" in capsys.readouterr().out
  with pytest.raises(SystemExit,
                     match=r"^probe_codes: load: no checkpoint of step 3 .* steps \[2, 4\]"):
    probe_codes.main([runs["deterministic"], "--step=3"])


def test_code_noise_of_a_gaussian_encoder_is_its_sigma(runs):
  model = load(runs["gaussian"])
  means = toy_mixture("ring").means.astype(np.float32)
  _, log_scale = model.state.encoder.apply_fn({"params": model.state.encoder.params}, means,
                                              train=False)
  noise = probe_codes.code_noise(model.state, means, 4000, jax.random.key(0))
  np.testing.assert_allclose(noise, np.exp(np.asarray(log_scale)).mean(), rtol=0.05)


def test_an_aae_run_is_read_through_its_decoder(tmp_path):
  from experiments.configs import aae as aae_config  # pylint: disable=g-import-not-at-top
  c = _runs.apply(aae_config.get_config(), _runs.changes("gan", 2))
  c.model.code_discriminator_hidden = (16,)
  loop.train(c, str(tmp_path), devices=jax.devices()[:1])
  r = probe_codes.probe(str(tmp_path), num=50)
  assert r["encoder"] == c.model.encoder and 0 <= r["high_quality"] <= 1


def test_an_ali_run_reads_its_gaussian_posterior(tmp_path):
  """ALI's encoder is Gaussian without alpha-GAN's bound: its code noise is its sigma."""
  from experiments.configs import ali as ali_config  # pylint: disable=g-import-not-at-top
  c = _runs.apply(ali_config.get_config(), _runs.changes("gan", 2))
  c.model.discriminator_hidden = (16,)
  loop.train(c, str(tmp_path), devices=jax.devices()[:1])
  r = probe_codes.probe(str(tmp_path), num=50)
  assert r["encoder"] == "gaussian" and 0 <= r["high_quality"] <= 1
  model = load(str(tmp_path))
  means = toy_mixture("ring").means.astype(np.float32)
  _, log_scale = ts.forward(model.state.encoder, jnp.asarray(means), train=False)
  np.testing.assert_allclose(probe_codes.code_noise(model.state, means, 4000, jax.random.key(0)),
                             np.exp(np.asarray(log_scale)).mean(), rtol=0.05)


@pytest.mark.parametrize("name, kind", [("vae", "gaussian"), ("avb", "implicit")])
def test_likelihood_models_are_read_through_their_decoders_mean(tmp_path, name, kind):
  """The VAE family's and AVB's decoders give an observation's parameters: the
  probe decodes their mean, and reads each encoder's own noise (the VAE's
  sigma(x); AVB's spread over eps)."""
  from experiments.configs import avb as avb_config, vae as vae_config  # pylint: disable=g-import-not-at-top
  module = {"vae": vae_config, "avb": avb_config}[name]
  c = _runs.apply(module.get_config(), _runs.changes("gan", 2))
  c.model.fixed_log_scale = -3.0
  loop.train(c, str(tmp_path), devices=jax.devices()[:1])
  r = probe_codes.probe(str(tmp_path), num=50)
  assert r["encoder"] == kind and 0 <= r["high_quality"] <= 1 and r["g_linear_in_z"] <= 1
  model = load(str(tmp_path))
  means = toy_mixture("ring").means.astype(np.float32)
  noise = probe_codes.code_noise(model.state, means, 4000, jax.random.key(0))
  if name == "vae":
    _, log_scale = ts.forward(model.state.encoder, jnp.asarray(means), train=False)
    np.testing.assert_allclose(noise, np.exp(np.asarray(log_scale)).mean(), rtol=0.05)
  else:
    assert noise > 0


def test_nearest_distances_by_hand():
  a, b = np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 1.0], [3.0, 3.0], [0.0, 0.0]])
  d, i = probe_codes.nearest_distances(a, b, exclude_self=False)
  np.testing.assert_allclose(d, [0.0, 1.0])
  np.testing.assert_array_equal(i, [2, 1])
  d, i = probe_codes.nearest_distances(a, a, exclude_self=True)
  np.testing.assert_allclose(d, [5.0, 5.0])


def test_code_width_by_hand():
  codes = np.array([[0.0, 0.0], [2.0, 4.0], [10.0, 10.0], [10.0, 10.0], [5.0, 5.0]])
  modes = np.array([0, 0, 1, 1, 2])  # mode 2 has one point: no width, left out
  # mode 0: std (1, 2) -> 1.5; mode 1: 0.
  assert probe_codes.code_width(codes, modes) == pytest.approx(0.75)


def test_decoder_gains_are_the_jacobians_spectral_norms():
  a = np.array([[3.0, 0.0], [0.0, -1.0], [4.0, 0.0]], np.float32)  # x = a z: singular values 5, 1
  z = np.random.default_rng(0).normal(size=(7, 2)).astype(np.float32)
  np.testing.assert_allclose(probe_codes.decoder_gains(lambda v: v @ a.T, z), 5.0, rtol=1e-5)
  # tanh(z_0) per row: gain 1 - tanh(z_0)^2 at each row.
  gains = probe_codes.decoder_gains(lambda v: jnp.tanh(v[:, :1]), z)
  np.testing.assert_allclose(gains, 1 - np.tanh(z[:, 0]) ** 2, rtol=1e-5)


def test_linear_r2_by_hand():
  rng = np.random.default_rng(0)
  z = rng.normal(size=(500, 3))
  exact = z @ np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]]) + 4.0
  assert probe_codes.linear_r2(z, exact) == pytest.approx(1.0, abs=1e-9)
  # One coordinate a quarter linear (signal variance 1, noise variance 3): R^2 1/4.
  half = np.stack([exact[:, 0], z[:, 0] + np.sqrt(3) * rng.normal(size=500)], 1)
  assert probe_codes.linear_r2(z, half) == pytest.approx(0.25, abs=0.06)
  assert probe_codes.linear_r2(z, rng.normal(size=(500, 2))) < 0.05


@pytest.mark.parametrize("argv", [[], ["run", "--bogus=1"], ["run", "--num=1"]])
def test_a_bad_command_is_one_usage_line(argv):
  with pytest.raises(SystemExit, match=r"usage: python -m experiments.probe_codes"):
    probe_codes.main(argv)
