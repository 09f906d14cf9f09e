"""The PacGAN and VEEGAN 2-D protocols as config variants (experiments/configs/
common_protocols.py): every algorithm's config builds under each of them, and
the numbers are the papers' (each assertion cites where it comes from)."""

import glob
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import algorithms, data, metrics
from gengan_jax.configs import common, common_protocols as cp
from gengan_jax.core import ConfigError, OptimizerConfig
from gengan_jax.metrics import mixtures
from gengan_jax.train import loop
from gengan_jax.train import mesh as mesh_lib
from tests.experiments._config_files import ROOT, config_module as _module

ALGORITHMS = sorted(os.path.basename(p)[:-3]
                    for p in glob.glob(os.path.join(ROOT, "experiments", "configs", "*.py"))
                    if not os.path.basename(p).startswith(("_", "common")))
PACGAN, VEEGAN = cp.PROTOCOLS["pacgan"], cp.PROTOCOLS["veegan"]


def _experiment(algorithm, variant, **overrides):
  c = _module(algorithm).get_config(variant)
  for path, value in overrides.items():
    section, key = path.split(".")
    c[section][key] = value
  c.lock()
  # 100 and 500 split over 4 devices, not over the tests' 8.
  return c, loop.Experiment(c, devices=jax.devices()[:4])


def _params(state):
  return sum(p.size for p in jax.tree.leaves(state.params))


def _abstract_state(exp):
  """The initial state's shapes (``init`` traced, not compiled)."""
  example = jax.ShapeDtypeStruct((exp.batch_size, *exp.dataset.element_shape), jnp.float32)
  return jax.eval_shape(lambda x: exp.algorithm.init(jax.random.key(0), exp.algo_config, x),
                        example)


def test_every_algorithm_is_in_the_protocols_table():
  assert sorted(cp.NETWORKS) == sorted(algorithms.REGISTRY) == ALGORITHMS
  assert cp.GD_ALGORITHMS <= set(cp.NETWORKS)
  assert cp.VARIANTS == ("pacgan_ring", "pacgan_grid", "veegan_ring", "veegan_grid")


@pytest.mark.parametrize("variant", cp.VARIANTS)
def test_every_config_builds_under_the_protocol(variant):
  p, mixture = cp.split(variant)
  for algorithm in ALGORITHMS:
    c, exp = _experiment(algorithm, variant)
    cfg, nets = exp.algo_config, cp.NETWORKS[algorithm]
    assert c.algorithm == algorithm and c.data.name == mixture, algorithm
    assert (exp.batch_size, exp.train_config.steps, exp.train_config.eval_samples) == (
        p.batch_size, p.steps, p.eval_samples), algorithm
    optimizers = [v for v in vars(cfg).values() if isinstance(v, OptimizerConfig)]
    assert optimizers and all(
        (o.name, o.learning_rate, o.b1, o.b2, o.eps) == ("adam", p.learning_rate, p.b1, p.b2,
                                                         p.eps) for o in optimizers), algorithm
    assert cfg.arch == (p.arch if algorithm in cp.GD_ALGORITHMS else "mlp"), algorithm
    if nets.hidden:
      assert cfg.hidden == p.generator_hidden, algorithm
    for field in nets.discriminators:
      assert getattr(cfg, field) == p.discriminator_hidden, (algorithm, field)
    if nets.gaussian_latent:
      assert cfg.latent_dim == p.latent_dim, algorithm


def test_a_data_variant_is_the_undecorated_config():
  module = _module("alpha_gan")
  for v in ("ring", "grid", "mnist", None):
    assert module.get_config(v).to_dict() == module.get_config.__wrapped__(v).to_dict()
  with pytest.raises(ConfigError, match="'spiral'"):
    module.get_config("spiral")
  with pytest.raises(ConfigError, match=r"'pacgan_spiral' is invalid: valid protocol "
                                        r"variants are 'pacgan_ring', 'pacgan_grid'"):
    cp.apply(module.get_config("ring"), "pacgan_spiral")


def test_the_mixtures_are_the_papers():
  # PacGAN config.py: MEANS = (cos(2 pi i/8), sin(2 pi i/8)), VARIANCES 0.01^2 (ring);
  # (i, j) in range(-4, 5, 2)^2, 0.05^2 (grid). VEEGAN: GAN_RING.py ring(scale=1,
  # std=.01); the 2-D notebook's grid, range(-4, 5, 2), s = 0.05.
  ring, grid = data.toy_mixture("ring"), data.toy_mixture("grid")
  angles = 2 * np.pi * np.arange(8) / 8
  np.testing.assert_allclose(ring.means, np.stack([np.cos(angles), np.sin(angles)], 1),
                             atol=1e-12)
  assert ring.std == 0.01
  expected = {(i, j) for i in range(-4, 5, 2) for j in range(-4, 5, 2)}
  assert {tuple(int(v) for v in m) for m in grid.means} == expected and grid.std == 0.05


def test_pacgan_numbers():
  # PacGAN code, 2D{Ring,Grid}_GAN&PacGAN/config.py: batch_size 100, num_epoch 400 of
  # num_sample 100,000 -> 400,000 steps; learning_rate 1e-4, beta1 0.8 (Blocks' Adam:
  # beta2 0.999, epsilon 1e-8); num_zdim 2 (z_mode_std 1: N(0, I_2)); gen_hidden_size
  # 400 (4 layers, pacgan_task.py), disc_hidden_size 200 (3 LinearMaxout layers),
  # disc_maxout_pieces 5; num_log_figure_sample 2,500; MetricLogger dis_thre 3.
  assert (PACGAN.batch_size, PACGAN.steps) == (100, 400_000)
  assert (PACGAN.learning_rate, PACGAN.b1, PACGAN.b2, PACGAN.eps) == (1e-4, 0.8, 0.999, 1e-8)
  assert PACGAN.latent_dim == 2 and PACGAN.arch == "maxout_mlp"
  assert PACGAN.generator_hidden == (400,) * 4 and PACGAN.discriminator_hidden == (200,) * 3
  assert (PACGAN.eval_samples, PACGAN.threshold_stds, PACGAN.runs) == (2500, 3.0, 10)
  # The library's metric uses the same numbers (metrics/mixtures.py PROTOCOLS).
  assert (mixtures.PROTOCOLS["pacgan"].num_samples, mixtures.PROTOCOLS["pacgan"].threshold_stds,
          mixtures.PROTOCOLS["pacgan"].min_count) == (2500, 3.0, 1)


def test_veegan_numbers():
  # VEEGAN 2-D notebook: params batch_size 500, input_dim 254 (the noise), n_hidden_gen
  # 128 x 2, n_hidden_disc 128 (one hidden layer in data_network), AdamOptimizer(1e-3,
  # beta1=.5) (TensorFlow's beta2 0.999, epsilon 1e-8), 100 epochs of total_batch 1,000;
  # '''Sample 2500 points''' (5 x 500); Sec. 5.1: three standard deviations; 5 runs.
  assert (VEEGAN.batch_size, VEEGAN.steps) == (500, 100_000)
  assert (VEEGAN.learning_rate, VEEGAN.b1, VEEGAN.b2, VEEGAN.eps) == (1e-3, 0.5, 0.999, 1e-8)
  assert VEEGAN.latent_dim == 254 and VEEGAN.arch == "mlp"
  assert VEEGAN.generator_hidden == (128, 128) and VEEGAN.discriminator_hidden == (128,)
  assert (VEEGAN.eval_samples, VEEGAN.threshold_stds, VEEGAN.runs) == (2500, 3.0, 5)
  assert (mixtures.PROTOCOLS["veegan"].num_samples,
          mixtures.PROTOCOLS["veegan"].threshold_stds) == (2500, 3.0)


def test_pacgan_networks_have_the_papers_sizes_and_train():
  """GAN under pacgan_grid: the generator has 2*400 + 3*400^2 + 4*2*400 + 400*2 + 2
  = 484,802 parameters and batch norm; the maxout discriminator (2*1000 + 1000) +
  2*(200*1000 + 1000) + 201 = 405,201, and 2,000 more for PacGAN2's 4 inputs
  (pacgan_task.py: LinearMaxout(input_dim=num_xdim * num_packing, ...))."""
  _, exp = _experiment("gan", "pacgan_grid")
  state = _abstract_state(exp)
  assert _params(state.generator) == 484_802 and _params(state.discriminator) == 405_201
  assert set(state.generator.batch_stats) == {"mlp"}
  assert exp.algo_config.loss == "non_saturating"  # PacGAN's bricks.py losses
  _, exp2 = _experiment("gan", "pacgan_grid", **{"model.pack": 2})
  state = exp2.init_state()
  assert _params(state.discriminator) == 405_201 + 2_000
  assert exp2.num_batches == 2  # m data batches of 100 per step
  skipped = jax.device_put(jnp.zeros((), jnp.int32), mesh_lib.replicated(exp2.mesh))
  for step in range(2):
    state, step_metrics, _, _ = exp2.run_steps(state, step, skipped)
  assert int(state.step) == 2
  assert np.isfinite(float(step_metrics["generator_loss"]))


def test_veegan_networks_are_the_notebooks():
  """VEEGAN under veegan_ring: G 254 -> 128 -> 128 -> 2 (49,410 parameters), F
  2 -> 128 -> 128 -> 254 (49,534), D on (x, z) 256 -> 128 -> 1 (33,025); its own
  weights (0.5, unit noise) stay."""
  c, exp = _experiment("veegan", "veegan_ring")
  state = _abstract_state(exp)
  assert _params(state.generator) == 254 * 128 + 128 + 128 * 128 + 128 + 128 * 2 + 2 == 49_410
  assert _params(state.reconstructor) == 2 * 128 + 128 + 128 * 128 + 128 + 128 * 254 + 254
  assert _params(state.discriminator) == 256 * 128 + 128 + 128 + 1
  assert (c.model.reconstruction_weight, c.model.reconstructor_noise) == (0.5, 1.0)


def test_reverse_kl_is_pacgans():
  """PacGAN's reverse KL is KL(q || uniform) of the high-quality samples' modes: log K
  minus MetricLogger's 'entropy of coverage' (scipy.stats.entropy of the histogram)."""
  grid = data.toy_mixture("grid")
  counts = np.zeros(25, int)
  counts[:3] = (5, 3, 2)
  samples = np.repeat(grid.means, counts, axis=0)
  samples = np.concatenate([samples, [[1.0, 1.0]]])  # between modes: not high quality
  cov = metrics.mode_coverage(samples, grid.means, grid.std)
  q = counts[:3] / 10
  assert cov.modes_covered == 3 and cov.high_quality_fraction == 10 / 11
  np.testing.assert_allclose(cov.reverse_kl, np.log(25) + np.sum(q * np.log(q)), rtol=1e-12)
  # the threshold: 2.9 std from a mode is high quality, 3.1 std is not.
  near = grid.means[:1] + [[2.9 * grid.std, 0.0]]
  far = grid.means[:1] + [[3.1 * grid.std, 0.0]]
  assert metrics.mode_coverage(near, grid.means, grid.std).modes_covered == 1
  assert metrics.mode_coverage(far, grid.means, grid.std).modes_covered == 0


def test_common_reexports_the_decorator():
  assert common.accepts_protocols is cp.accepts_protocols
