"""Real NVP: squeeze and masks, invertibility, the log-determinant against the
Jacobian, and a density that integrates to one."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets
from gengan_jax.nets import real_nvp as rnvp


def _perturbed(net, x, key, scale):
  """``net``'s parameters at init plus ``N(0, scale^2)`` noise: every coupling's
  zero-initialised last layer moves, so no coupling is the identity."""
  params = jax.jit(net.init)(jax.random.key(0), x)["params"]
  leaves, tree = jax.tree.flatten(params)
  keys = jax.random.split(key, len(leaves))
  return {"params": jax.tree.unflatten(tree, [
      p + scale * jax.random.normal(k, p.shape, p.dtype) for p, k in zip(leaves, keys)])}


FLOWS = {
    "2d": (lambda: rnvp.RealNVP((2,), num_couplings=6, hidden=(16, 16)), (2,)),
    # checkerboard and channel masks, squeeze, factoring out at two scales
    "4x4x1, two scales": (lambda: rnvp.MultiScaleRealNVP((4, 4, 1), num_scales=2, features=4),
                          (4, 4, 1)),
    # checkerboard masks on several channels; residual blocks
    "4x4x2, one scale": (lambda: rnvp.MultiScaleRealNVP((4, 4, 2), num_scales=1, features=4,
                                                         num_blocks=1), (4, 4, 2)),
}


def test_squeeze_moves_each_2x2_block_into_channels_and_unsqueeze_inverts_it():
  x = jnp.arange(2 * 4 * 4 * 3, dtype=jnp.float32).reshape(2, 4, 4, 3)
  s = rnvp.squeeze(x)
  assert s.shape == (2, 2, 2, 12)
  # the block at rows 2-3, columns 0-1 of example 1, channel by channel
  block = x[1, 2:4, 0:2, :]  # [2, 2, 3]
  np.testing.assert_array_equal(s[1, 1, 0], block.reshape(12))
  np.testing.assert_array_equal(rnvp.unsqueeze(s), x)
  with pytest.raises(ValueError, match="even height and width"):
    rnvp.squeeze(jnp.zeros((1, 3, 4, 1)))


def test_masks():
  np.testing.assert_array_equal(rnvp.checkerboard_mask(2, 3, 0)[..., 0],
                                [[1, 0, 1], [0, 1, 0]])
  np.testing.assert_array_equal(rnvp.checkerboard_mask(2, 3, 1)[..., 0],
                                [[0, 1, 0], [1, 0, 1]])
  np.testing.assert_array_equal(rnvp.channel_mask(4, 0), [1, 1, 0, 0])
  np.testing.assert_array_equal(rnvp.channel_mask(4, 1), [0, 0, 1, 1])
  np.testing.assert_array_equal(rnvp.alternating_mask(2, 0), [1, 0])
  np.testing.assert_array_equal(rnvp.alternating_mask(2, 1), [0, 1])


@pytest.mark.parametrize("name", list(FLOWS))
def test_a_fresh_flow_is_the_identity_and_inverse_inverts_forward_to_1e_5(name):
  make, shape = FLOWS[name]
  net = make()
  x = jax.random.normal(jax.random.key(1), (5,) + shape)
  forward = jax.jit(lambda v, x: net.apply(v, x, method="forward"))
  inverse = jax.jit(lambda v, z: net.apply(v, z, method="inverse"))
  z, log_det = forward(jax.jit(net.init)(jax.random.key(0), x), x)
  np.testing.assert_allclose(z, x, atol=1e-6)
  np.testing.assert_allclose(log_det, 0.0, atol=1e-6)
  variables = _perturbed(net, x, jax.random.key(2), 0.1)
  z = forward(variables, x)[0]
  assert float(jnp.abs(z - x).max()) > 0.1  # not the identity
  np.testing.assert_allclose(inverse(variables, z), x, atol=1e-5)
  z2 = jax.random.normal(jax.random.key(3), (5,) + shape)
  np.testing.assert_allclose(forward(variables, inverse(variables, z2))[0], z2, atol=1e-5)


@pytest.mark.parametrize("name", ["2d", "4x4x1, two scales"])
def test_log_det_equals_slogdet_of_the_jacobian(name):
  """In float64, the log-determinant ``forward`` returns against
  ``slogdet(jacfwd(forward))`` of each example (every mask, the squeeze and
  the factoring out are in the two-scale flow; the coupling networks'
  insides do not enter the determinant)."""
  make, shape = FLOWS[name]
  net = make()
  d = math.prod(shape)
  with jax.enable_x64(True):
    x = jax.random.normal(jax.random.key(1), (3,) + shape, jnp.float64)
    variables = _perturbed(net, x, jax.random.key(2), 0.3)

    def f(v):
      return net.apply(variables, v.reshape((1,) + shape), method="forward")[0].reshape(d)

    @jax.jit
    def both(x):
      jacobians = jax.vmap(jax.jacfwd(f))(x.reshape(-1, d))
      return net.apply(variables, x, method="forward")[1], jnp.linalg.slogdet(jacobians)

    log_det, (sign, log_abs_det) = both(x)
    assert log_det.dtype == jnp.float64
    assert np.all(np.asarray(sign) != 0.0)
    np.testing.assert_allclose(log_det, log_abs_det, rtol=1e-8, atol=1e-8)
    assert float(jnp.abs(log_det).max()) > 0.1  # a volume change to check


def test_log_prob_integrates_to_one_on_a_2d_grid():
  net = rnvp.RealNVP((2,), num_couplings=6, hidden=(16, 16))
  x0 = jnp.zeros((1, 2))
  variables = _perturbed(net, x0, jax.random.key(2), 0.1)
  edges = jnp.linspace(-10.0, 10.0, 801)
  h = float(edges[1] - edges[0])
  centres = (edges[:-1] + edges[1:]) / 2
  grid = jnp.stack(jnp.meshgrid(centres, centres, indexing="ij"), -1).reshape(-1, 2)
  log_p = net.apply(variables, grid, method="log_prob")
  total = float(jnp.sum(jnp.exp(log_p)) * h * h)
  np.testing.assert_allclose(total, 1.0, atol=2e-3)
  # it is not the base density: the flow moved mass
  base = rnvp.standard_normal_log_prob(grid)
  assert float(jnp.abs(jnp.exp(log_p) - jnp.exp(base)).max()) > 0.01


def test_log_prob_is_the_base_density_through_the_flow():
  net = rnvp.RealNVP((2,), num_couplings=4, hidden=(8,))
  x = jax.random.normal(jax.random.key(4), (6, 2))
  variables = _perturbed(net, x, jax.random.key(5), 0.2)
  z, log_det = net.apply(variables, x, method="forward")
  expected = -0.5 * jnp.sum(z**2, -1) - math.log(2 * math.pi) + log_det
  np.testing.assert_allclose(net.apply(variables, x), expected, rtol=1e-6)
  np.testing.assert_allclose(net.apply(variables, x, method="log_prob", train=True), expected,
                             rtol=1e-6)


def test_sample_is_the_inverse_of_gaussian_noise():
  net = rnvp.MultiScaleRealNVP((4, 4, 1), num_scales=1, features=4)
  x = jnp.zeros((2, 4, 4, 1))
  variables = _perturbed(net, x, jax.random.key(6), 0.1)
  samples = net.apply(variables, jax.random.key(7), 5, method="sample")
  assert samples.shape == (5, 4, 4, 1)
  z = jax.random.normal(jax.random.key(7), (5, 4, 4, 1))
  np.testing.assert_allclose(samples, net.apply(variables, z, method="inverse"), atol=1e-6)


def test_the_factory_builds_both_flows_and_checks_shapes():
  flat = nets.make_real_nvp("mlp", data_shape=(2,), hidden=(8,), num_couplings=2)
  assert isinstance(flat, rnvp.RealNVP) and flat.hidden == (8,)
  image = nets.make_real_nvp("dcgan", data_shape=(28, 28, 1), features=4, num_scales=2)
  assert isinstance(image, rnvp.MultiScaleRealNVP)
  flattened = nets.make_real_nvp("mlp", data_shape=(28, 28, 1))  # an MLP flow flattens
  x = jnp.zeros((2, 28, 28, 1))
  z, _ = flattened.apply(flattened.init(jax.random.key(0), x), x, method="forward")
  assert z.shape == x.shape
  with pytest.raises(TypeError, match="unexpected keyword"):
    nets.make_real_nvp("mlp", data_shape=(2,), features=4)
  with pytest.raises(ValueError, match="divisible by 2\\*\\*num_scales = 8"):
    net = rnvp.MultiScaleRealNVP((28, 28, 1), num_scales=3)
    net.init(jax.random.key(0), jnp.zeros((1, 28, 28, 1)))
