"""VQ-VAE's encoder and codebook: where the codebook lives, its EMA statistics, shapes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets
from gengan_jax.nets import vq


@pytest.mark.parametrize("arch, shape, kw", [("mlp", (3,), dict(hidden=(8,))),
                                             ("mlp", (28, 28, 1), dict(hidden=(8,))),
                                             ("dcgan", (28, 28, 1), dict(base_features=4))])
def test_encoder_returns_code_vectors_and_the_codebook(arch, shape, kw):
  enc = nets.make_vq_encoder(arch, data_shape=shape, num_latents=3, embedding_dim=5,
                             num_codes=7, **kw)
  x = jax.random.normal(jax.random.key(0), (4, *shape))
  v = enc.init(jax.random.key(1), x, train=False)
  out = enc.apply(v, x, train=False)
  assert out.z_e.shape == (4, 3, 5) and out.codebook.shape == (7, 5)
  # z_e is the base's output reshaped; the codebook is the parameter.
  flat = x.reshape(4, -1) if arch == "mlp" else x
  base_vars = {k: v_["base"] for k, v_ in v.items() if "base" in v_}
  h = enc.base.apply(base_vars, flat, train=False)
  np.testing.assert_array_equal(np.asarray(out.z_e), np.asarray(h).reshape(4, 3, 5))
  np.testing.assert_array_equal(np.asarray(out.codebook),
                                np.asarray(v["params"]["codebook"]["embedding"]))


def test_ema_codebook_is_not_a_parameter_and_starts_consistent():
  enc = nets.make_vq_encoder("mlp", data_shape=(2,), num_latents=2, embedding_dim=3,
                             num_codes=6, ema=True, hidden=(8,))
  v = enc.init(jax.random.key(1), jnp.zeros((4, 2)), train=False)
  assert "codebook" not in v["params"]
  stats = v[vq.EMA_COLLECTION]["codebook"]
  assert set(stats) == {"embedding", "cluster_size", "embed_sum"}
  np.testing.assert_array_equal(np.asarray(stats["cluster_size"]), np.ones(6))
  # embed_sum / cluster_size is the embedding: an unused code keeps its vector.
  np.testing.assert_array_equal(np.asarray(stats["embed_sum"]), np.asarray(stats["embedding"]))
  out = enc.apply(v, jnp.zeros((4, 2)), train=False)
  np.testing.assert_array_equal(np.asarray(out.codebook), np.asarray(stats["embedding"]))


def test_codebook_vectors_have_unit_scale():
  book = vq.Codebook(num_codes=512, embedding_dim=64)
  e = book.apply(book.init(jax.random.key(0)))
  norms = np.linalg.norm(np.asarray(e), axis=-1)
  assert e.shape == (512, 64) and 0.9 < norms.mean() < 1.1


def test_bad_sizes_are_named():
  with pytest.raises(ValueError, match="num_codes must be a positive int; got 0"):
    nets.make_vq_encoder("mlp", data_shape=(2,), num_latents=2, embedding_dim=3, num_codes=0)
  enc = vq.VQEncoder(base=nets.MLPEncoder(latent_dim=5, hidden=(4,)), num_latents=2,
                     codebook=vq.Codebook(num_codes=4, embedding_dim=3))
  with pytest.raises(ValueError, match="returned 5 outputs .* num_latents \\* embedding_dim = 6"):
    enc.init(jax.random.key(0), jnp.zeros((2, 2)), train=False)
