"""Tests for gengan_jax.nets.factory."""

import jax
import jax.numpy as jnp
import pytest

from gengan_jax import nets


def test_mlp_nets():
  g = nets.make_generator("mlp", data_shape=(2,), latent_dim=3, hidden=(8,))
  d = nets.make_discriminator("mlp", data_shape=[2], hidden=(8, 8))
  e = nets.make_encoder("mlp", data_shape=(2,), latent_dim=4, hidden=(8,))
  assert isinstance(g, nets.MLPGenerator) and g.data_dim == 2
  assert g.hidden == (8,) and d.hidden == (8, 8)
  assert isinstance(d, nets.MLPDiscriminator)
  assert isinstance(e, nets.MLPEncoder) and e.latent_dim == 4

  z = jnp.ones((2, 3))
  x = g.apply(g.init(jax.random.key(0), z, train=False), z, train=False)
  assert x.shape == (2, 2)
  assert d.apply(d.init(jax.random.key(0), x, train=False), x,
                 train=False).shape == (2,)
  assert e.apply(e.init(jax.random.key(0), x, train=False), x,
                 train=False).shape == (2, 4)


def test_mlp_ignores_use_batch_norm():
  d = nets.make_discriminator("mlp", data_shape=(2,), use_batch_norm=True)
  variables = d.init(jax.random.key(0), jnp.ones((2, 2)), train=False)
  assert set(variables) == {"params"}


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (64, 64, 3)])
def test_dcgan_nets(shape):
  g = nets.make_generator("dcgan", data_shape=shape, latent_dim=5,
                          base_features=4)
  d = nets.make_discriminator("dcgan", data_shape=shape, base_features=4)
  c = nets.make_discriminator("dcgan", data_shape=list(shape),
                              use_batch_norm=False, base_features=4)
  e = nets.make_encoder("dcgan", data_shape=shape, latent_dim=5,
                        base_features=4)
  assert isinstance(g, nets.DCGANGenerator) and g.image_shape == shape
  assert g.base_features == 4 and d.base_features == 4
  assert isinstance(d, nets.DCGANDiscriminator) and d.use_batch_norm
  assert isinstance(c, nets.DCGANDiscriminator) and not c.use_batch_norm
  assert c.image_shape == shape
  assert isinstance(e, nets.DCGANEncoder) and e.latent_dim == 5

  z = jnp.ones((2, 5))
  x = jax.eval_shape(lambda: g.init_with_output(
      jax.random.key(0), z, train=False)[0])
  assert x.shape == (2,) + shape
  y = jax.eval_shape(lambda: e.init_with_output(
      jax.random.key(0), jnp.zeros((2,) + shape), train=False)[0])
  assert y.shape == (2, 5)
  for disc in (d, c):
    y = jax.eval_shape(lambda: disc.init_with_output(
        jax.random.key(0), jnp.zeros((2,) + shape), train=False)[0])
    assert y.shape == (2,)


def test_dcgan_default_base_features():
  g = nets.make_generator("dcgan", data_shape=(32, 32, 3), latent_dim=5)
  assert g.base_features == 64


@pytest.mark.parametrize("make, kw", [
    (nets.make_generator, {"latent_dim": 2}),
    (nets.make_discriminator, {}),
    (nets.make_encoder, {"latent_dim": 2}),
])
def test_unknown_arch(make, kw):
  with pytest.raises(ValueError,
                     match=r"unknown arch 'resnet'.*\(2,\).*'dcgan', 'mlp'"):
    make("resnet", data_shape=(2,), **kw)


@pytest.mark.parametrize("make, kw", [
    (nets.make_generator, {"latent_dim": 2}),
    (nets.make_discriminator, {}),
    (nets.make_encoder, {"latent_dim": 2}),
])
@pytest.mark.parametrize("arch, shape, pattern", [
    ("mlp", (28, 28, 1), r"arch 'mlp'.*rank-1.*\(28, 28, 1\)"),
    ("mlp", (), r"arch 'mlp'.*rank-1.*\(\)"),
    ("dcgan", (2,), r"arch 'dcgan'.*\(H, W, C\).*\(28, 32, 64\).*\(2,\)"),
    ("dcgan", (48, 48, 3),
     r"arch 'dcgan'.*\(H, W, C\).*\(28, 32, 64\).*\(48, 48, 3\)"),
    ("dcgan", (32, 28, 3), r"arch 'dcgan'.*H == W.*\(32, 28, 3\)"),
])
def test_incompatible_shape(make, kw, arch, shape, pattern):
  with pytest.raises(ValueError, match=pattern):
    make(arch, data_shape=shape, **kw)


def test_bad_latent_dim():
  with pytest.raises(ValueError, match="latent_dim must be a positive int"):
    nets.make_encoder("mlp", data_shape=(2,), latent_dim=0)


def test_unknown_keyword_names_accepted_ones():
  with pytest.raises(TypeError, match=r"\['base_features'\].*'hidden'"):
    nets.make_generator("mlp", data_shape=(2,), latent_dim=2,
                        base_features=8)
  with pytest.raises(TypeError, match=r"\['hidden'\].*\['base_features'\]"):
    nets.make_discriminator("dcgan", data_shape=(28, 28, 1), hidden=(8,))
