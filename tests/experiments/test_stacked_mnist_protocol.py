"""PacGAN's Stacked MNIST protocols as config variants (experiments/configs/
common_stacked_mnist.py): every variant builds and validates for DCGAN (and
PacDCGAN2), the family and alpha-GAN on digits the test writes; the numbers
are the reference code's (each assertion cites where it comes from); the
networks have its parameter counts; two steps train at 28x28x3."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import data
from gengan_jax.configs import common, common_images, common_stacked_mnist as csm
from gengan_jax.core import ConfigError
from gengan_jax.evaluate import loading
from gengan_jax.train import loop
from tests.data._idx_writer import write_mnist
from tests.experiments._config_files import config_module as _module
from tests.experiments._two_steps import assert_two_steps_train

TABLE_2, D4, D2 = (csm.PROTOCOLS[v] for v in csm.VARIANTS)


@pytest.fixture
def mnist_dir(tmp_path, monkeypatch):
  """Tiny ``train`` and ``test`` digit files as ``$GENGAN_MNIST_DIR``."""
  d = tmp_path / "mnist"
  d.mkdir()
  write_mnist(str(d), "train", 24, seed=0)
  write_mnist(str(d), "t10k", 8, seed=1)
  monkeypatch.setenv(common.MNIST_ENV, str(d))
  return str(d)


def _experiment(algorithm, variant, devices=None, batch_size=8, **model):
  c = _module(algorithm).get_config(variant)
  c.data.batch_size = batch_size
  c.data.num_images = 16  # not 128,000 stacked images in a test
  for key, value in model.items():
    c.model[key] = value
  c.lock()
  return c, loop.Experiment(c, devices=devices or jax.devices()[:1])


def _abstract_state(exp):
  example = jax.ShapeDtypeStruct((exp.batch_size, *exp.dataset.element_shape), jnp.float32)
  return jax.eval_shape(lambda x: exp.algorithm.init(jax.random.key(0), exp.algo_config, x),
                        example)


def _params(state):
  return sum(int(np.prod(p.shape)) for p in jax.tree.leaves(state.params))


def test_the_variants_and_who_takes_them():
  assert csm.VARIANTS == ("pacgan_stacked_mnist", "pacgan_stacked_mnist_d4",
                          "pacgan_stacked_mnist_d2")
  assert csm.ALGORITHMS == ("dcgan", "gan", "alpha_gan")
  assert all(common_images.VARIANTS != v for v in csm.VARIANTS)
  with pytest.raises(ConfigError, match=r"take PacGAN's Stacked MNIST variants "
                                        r"'pacgan_stacked_mnist', 'pacgan_stacked_mnist_d4'"):
    common.variant("pacgan_stacked")


def test_table_2_numbers():
  # VEEGAN_experiment/config.py: epoch 50, learning_rate 0.0002, beta1 0.5 (TF's
  # beta2 0.999), batch_size 64, num_test_sample 26000, num_training_sample 128000,
  # z_dim 100, run range(10); model.py: gf_dim = df_dim = 64, z uniform(-1, 1),
  # train + t10k digits, g_optim run twice per d_optim on the same feed_dict_z.
  p = TABLE_2
  assert (p.table, p.arch, p.base_features, p.discriminator_base_features) == (
      "Table 2", "dcgan_tf", 64, 64)
  assert (p.latent_dim, p.prior) == (100, "uniform")
  assert (p.split, p.fresh, p.num_images) == ("train+test", False, 128_000)
  assert (p.batch_size, p.steps) == (64, 100_000)  # 50 epochs of 128,000 // 64 = 2,000
  assert (p.generator_updates, p.generator_noise) == (2, "shared")
  assert p.generator_adam == p.discriminator_adam == (2e-4, 0.5, 0.999)
  assert (p.eval_samples, p.runs) == (26_000, 10)
  # The evaluation command's default for Stacked MNIST is that number.
  assert data.stacked_mnist.NUM_EVAL_SAMPLES == 26_000


def test_table_3_numbers():
  # unrolled_GAN_experiment/D=0.25G and D=0.5G/config.py: epoch 1 of
  # num_training_sample 500000 * 128 at batch_size 128, disc_learning_rate 2e-4,
  # gen_learning_rate 1e-4, beta1 0.5, beta2 0.99, z_dim 256 (np.random.normal),
  # num_test_sample 25600, run range(50); model.py: generate_stacked_mnist from
  # the 60,000 train digits for every batch, one g_optim per d_optim; D widths
  # 2, 4, 8 (D=0.25G) or 4, 8, 16 (D=0.5G) against G's 64, 32, 16, 8.
  for p, d_base in [(D4, 2), (D2, 4)]:
    assert (p.table, p.arch, p.base_features, p.discriminator_base_features) == (
        "Table 3", "unrolled_gan", 8, d_base)
    assert (p.latent_dim, p.prior) == (256, "gaussian")
    assert (p.split, p.fresh) == ("train", True)
    assert (p.batch_size, p.steps) == (128, 500_000)
    assert (p.generator_updates, p.generator_noise) == (1, "shared")
    assert p.generator_adam == (1e-4, 0.5, 0.99) and p.discriminator_adam == (2e-4, 0.5, 0.99)
    assert (p.eval_samples, p.runs) == (25_600, 50)


@pytest.mark.parametrize("variant", csm.VARIANTS)
@pytest.mark.parametrize("algorithm", csm.ALGORITHMS)
def test_every_variant_builds_and_validates(algorithm, variant, mnist_dir):
  p = csm.PROTOCOLS[variant]
  c, exp = _experiment(algorithm, variant, batch_size=p.batch_size)
  cfg = exp.algo_config
  assert (c.data.source, c.data.directory, c.data.split, c.data.fresh) == (
      "stacked_mnist", mnist_dir, p.split, p.fresh)
  assert exp.dataset.element_shape == (28, 28, 3)
  assert isinstance(exp.dataset, data.StackedMNISTStream) == p.fresh
  assert (exp.batch_size, exp.train_config.steps) == (p.batch_size, p.steps)
  assert (cfg.arch, cfg.latent_dim, cfg.base_features, cfg.discriminator_base_features) == (
      p.arch, p.latent_dim, p.base_features, p.discriminator_base_features)
  assert cfg.generator_updates == p.generator_updates
  mnist = _module(algorithm).get_config("mnist").model
  if algorithm == "alpha_gan":
    # Its own prior and noise; the generator's Adam for G and E, the
    # discriminator's for D and C; its L1 weights per pixel (784 / 2352).
    assert not hasattr(cfg, "prior")
    for net, adam in [("generator", p.generator_adam), ("encoder", p.generator_adam),
                      ("discriminator", p.discriminator_adam),
                      ("code_discriminator", p.discriminator_adam)]:
      o = getattr(cfg, f"{net}_optimizer")
      assert (o.learning_rate, o.b1, o.b2) == adam, net
    for key in ("lambda_encoder", "lambda_generator"):
      np.testing.assert_allclose(getattr(cfg, key), mnist[key] * 784 / 2352, rtol=5e-3)
    assert cfg.code_discriminator_hidden == tuple(mnist.code_discriminator_hidden)
  else:
    assert (cfg.prior, cfg.generator_noise, cfg.loss, cfg.pack) == (
        p.prior, p.generator_noise, "non_saturating", 1)
    for o, adam in [(cfg.generator_optimizer, p.generator_adam),
                    (cfg.discriminator_optimizer, p.discriminator_adam)]:
      assert (o.name, o.learning_rate, o.b1, o.b2, o.eps) == ("adam", *adam, 1e-8)
    assert cfg.uses_batch_norm


@pytest.mark.parametrize("variant, pack, g_params, d_params", [
    # tests/nets/test_dcgan_tensorflow.py has the sums from model.py and ops.py.
    ("pacgan_stacked_mnist", 1, 4_514_819, 4_310_401),
    ("pacgan_stacked_mnist", 2, 4_514_819, 4_310_401 + 5 * 5 * 3 * 64),
    ("pacgan_stacked_mnist_d4", 1, 287_875, 585),
    ("pacgan_stacked_mnist_d4", 2, 287_875, 585 + 3 * 3 * 3 * 2),
    ("pacgan_stacked_mnist_d2", 1, 287_875, 1_889),
    ("pacgan_stacked_mnist_d2", 4, 287_875, 1_889 + 3 * 3 * 9 * 4),
])
def test_dcgan_and_pacdcgan_have_the_references_parameter_counts(variant, pack, g_params,
                                                                d_params, mnist_dir):
  """PacDCGANm's discriminator takes 3m channels (model.py: c_dim =
  3 * packing_num; only d_h0_conv grows); the generator is DCGAN's."""
  del mnist_dir
  _, exp = _experiment("dcgan", variant, pack=pack)
  state = _abstract_state(exp)
  assert (_params(state.generator), _params(state.discriminator)) == (g_params, d_params)
  assert exp.num_batches == pack


@pytest.mark.parametrize("algorithm, variant, model", [
    ("dcgan", "pacgan_stacked_mnist", dict(pack=2, base_features=4,
                                           discriminator_base_features=4)),
    ("alpha_gan", "pacgan_stacked_mnist_d2", dict(code_discriminator_hidden=(16,))),
])
def test_two_steps_at_28x28x3(algorithm, variant, model, mnist_dir):
  """Two steps on stacked digits the test wrote (PacDCGAN2 under Table 2 at
  width 4 instead of 64; alpha-GAN under Table 3 at its own small widths):
  finite losses, the step counted, every network moved, samples 28x28x3 in
  [-1, 1] (the tanh)."""
  del mnist_dir
  _, exp = _experiment(algorithm, variant, **model)
  assert_two_steps_train(exp, (28, 28, 3))


def test_training_on_the_test_digits_leaves_no_held_out_split(mnist_dir):
  """Table 2 stacks from train + test: the evaluation's real-vs-real
  references then use the training data and say so (not the test digits
  the model saw); with split 'train' the test digits are held out."""
  del mnist_dir
  c, exp = _experiment("dcgan", "pacgan_stacked_mnist")
  _, description, held_out = loading.held_out_images(c, exp.dataset, num_stacked=8)
  assert not held_out and "no held-out split" in description
  c, exp = _experiment("dcgan", "pacgan_stacked_mnist_d4")
  images, description, held_out = loading.held_out_images(c, exp.dataset, num_stacked=8)
  assert held_out and images.shape == (8, 28, 28, 3) and "stacked_mnist/test" in description


def test_unknown_variant_and_algorithm(mnist_dir):
  del mnist_dir
  with pytest.raises(ConfigError, match="Stacked MNIST protocol variant 'pacgan_cifar' is "
                                        "invalid: valid variants are 'pacgan_stacked_mnist'"):
    csm.apply(_module("dcgan").get_config("mnist"), "pacgan_cifar")
  with pytest.raises(ConfigError, match="'wgan_gp' has no Stacked MNIST protocol variants"):
    csm.apply(_module("wgan_gp").get_config("mnist"), "pacgan_stacked_mnist")
  # Other variants reach the undecorated config unchanged.
  module = _module("dcgan")
  for v in ("mnist", "ring", "stacked_mnist"):
    assert module.get_config(v).to_dict() == module.get_config.__wrapped__(v).to_dict()
