"""Tests for gengan_jax.nets.dcgan_tensorflow: TensorFlow's layer arithmetic,
the reference's layer shapes and parameter counts (hand-computed from
fjxmlzn/PacGAN's ``model.py`` and ``ops.py``), and the factory's presets."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gengan_jax import nets
from gengan_jax.nets import dcgan_tensorflow as tfd

SHAPE = (28, 28, 3)


def _lax_same_conv(x, kernel, stride):
  """TensorFlow's conv2d 'SAME' is lax's 'SAME' (the smaller half of the
  padding before): the independent reference."""
  return jax.lax.conv_general_dilated(x, kernel, (stride, stride), "SAME",
                                      dimension_numbers=("NHWC", "HWIO", "NHWC"))


def _count(tree):
  return sum(int(np.prod(p.shape)) for p in jax.tree.leaves(tree))


def _abstract(module, x):
  """(variables, outputs of every layer) as shapes: eval_shape, no compile."""
  def run():
    variables = module.init(jax.random.key(0), x, train=False)
    _, inter = module.apply(variables, x, train=False, capture_intermediates=True,
                            mutable=["intermediates"])
    return variables, inter["intermediates"]
  return jax.eval_shape(run)


def _out(intermediates, name):
  return tuple(intermediates[name]["__call__"][0].shape[1:])


def test_same_sizes_are_dcgan_tensorflows():
  # conv_out_size_same(28, 2) = 14, then 7, 4, 2 (model.py's s_h2 .. s_h16).
  assert tfd.same_sizes(28, 4) == (2, 4, 7, 14, 28)
  assert tfd.same_sizes(28, 3) == (4, 7, 14, 28)
  assert tfd.same_sizes(5, 0) == (5,)
  assert tfd.same_padding(7, 5, 2) == (2, 2) and tfd.same_padding(14, 3, 2) == (0, 1)
  assert tfd.same_padding(4, 3, 2) == (0, 1) and tfd.same_padding(4, 5, 1) == (2, 2)


@pytest.mark.parametrize("hw, k, stride", [(7, 5, 2), (8, 5, 2), (4, 3, 2), (7, 3, 2),
                                           (6, 3, 1), (5, 5, 1)])
def test_same_conv_is_tensorflows_conv2d(hw, k, stride):
  x = jax.random.normal(jax.random.key(0), (2, hw, hw + 1, 3))
  kernel = jax.random.normal(jax.random.key(1), (k, k, 3, 4))
  np.testing.assert_allclose(tfd.same_conv(x, kernel, stride), _lax_same_conv(x, kernel, stride),
                             rtol=1e-5, atol=1e-5)
  with pytest.raises(ValueError, match=r"same_conv: expected x \[B, H, W, C\] and kernel"):
    tfd.same_conv(x, kernel[:, :, :2], stride)


@pytest.mark.parametrize("k, out_hw", [(5, (7, 7)), (5, (4, 4)), (3, (14, 14)), (3, (7, 8))])
def test_conv_transpose_is_the_adjoint_of_the_same_conv(k, out_hw):
  """tf.nn.conv2d_transpose(x, w, output_shape) is the input gradient of
  conv2d(u, w) at u of output_shape: checked against lax's own VJP, and the
  output side (4 -> 7: not a doubling) is the one asked for."""
  layer = tfd.SameConvTranspose(4, k, out_hw)
  in_hw = tuple(-(-n // 2) for n in out_hw)
  x = jax.random.normal(jax.random.key(0), (2, *in_hw, 6))
  variables = layer.init(jax.random.key(1), x)
  kernel, bias = variables["params"]["kernel"], variables["params"]["bias"]
  assert kernel.shape == (k, k, 4, 6) and bias.shape == (4,)  # ops.deconv2d's [h, w, out, in]
  u = jnp.zeros((2, *out_hw, 4))
  _, vjp = jax.vjp(lambda u: _lax_same_conv(u, kernel, 2), u)
  (expected,) = vjp(x)
  y = layer.apply(variables, x)
  assert y.shape == (2, *out_hw, 4)
  np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
  with pytest.raises(ValueError, match=r"expects inputs \[B, "):
    layer.apply(variables, jnp.zeros((2, 9, 9, 6)))


@pytest.mark.parametrize("k, out_hw", [(5, (7, 7)), (3, (7, 8))])
def test_conv_transpose_gradients_are_those_of_the_reference(k, out_hw):
  """The generator learns through the kernel's and the input's gradients of
  the transposed convolution (``jax.linear_transpose`` of the 'SAME' conv):
  both equal those of lax's VJP form, differentiated by JAX."""
  layer = tfd.SameConvTranspose(4, k, out_hw)
  in_hw = tuple(-(-n // 2) for n in out_hw)
  x = jax.random.normal(jax.random.key(0), (2, *in_hw, 6))
  variables = layer.init(jax.random.key(1), x)
  weights = jax.random.normal(jax.random.key(2), (2, *out_hw, 4))

  def reference(kernel, x):
    u = jnp.zeros((2, *out_hw, 4))
    _, vjp = jax.vjp(lambda u: _lax_same_conv(u, kernel, 2), u)
    return jnp.sum(weights * vjp(x)[0])

  def ours(kernel, x):
    params = {"params": {"kernel": kernel, "bias": variables["params"]["bias"]}}
    return jnp.sum(weights * layer.apply(params, x))

  kernel = variables["params"]["kernel"]
  got = jax.grad(ours, argnums=(0, 1))(kernel, x)
  expected = jax.grad(reference, argnums=(0, 1))(kernel, x)
  for g, e in zip(got, expected):
    assert float(jnp.abs(e).max()) > 0
    np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


def test_dcgan_tf_generator_has_the_references_layers_and_parameters():
  """VEEGAN_experiment/model.py at 28x28x3, gf_dim = 64, z_dim = 100:
  g_h0_lin 100*2048 + 2048 = 206,848; g_bn0 2*512 = 1,024; g_h1 5*5*256*512 +
  256 = 3,277,056; g_bn1 512; g_h2 5*5*128*256 + 128 = 819,328; g_bn2 256;
  g_h3 5*5*64*128 + 64 = 204,864; g_bn3 128; g_h4 5*5*3*64 + 3 = 4,803:
  4,514,819 trainable parameters (the BN moving statistics are not)."""
  g = nets.make_generator("dcgan_tf", data_shape=SHAPE, latent_dim=100, base_features=64)
  assert isinstance(g, nets.TFDCGANGenerator)
  variables, inter = _abstract(g, jnp.zeros((2, 100)))
  params = variables["params"]
  assert _count(params) == 4_514_819
  assert params["project"]["kernel"].shape == (100, 2 * 2 * 512)
  assert params["project"]["bias"].shape == (2048,)
  for i, (c_out, c_in) in enumerate([(256, 512), (128, 256), (64, 128)], start=1):
    assert params[f"deconv_{i}"]["kernel"].shape == (5, 5, c_out, c_in)
  assert params["out"]["kernel"].shape == (5, 5, 3, 64)
  assert sorted(variables["batch_stats"]) == ["bn_0", "bn_1", "bn_2", "bn_3"]
  # The maps: 2x2x512, 4x4x256, 7x7x128, 14x14x64, 28x28x3.
  assert [_out(inter, n) for n in ("bn_0", "deconv_1", "deconv_2", "deconv_3", "out")] == [
      (2, 2, 512), (4, 4, 256), (7, 7, 128), (14, 14, 64), (28, 28, 3)]


@pytest.mark.parametrize("channels, expected", [(3, 4_310_401), (6, 4_315_201),
                                                (12, 4_324_801)])
def test_dcgan_tf_discriminator_has_the_references_layers_and_parameters(channels, expected):
  """df_dim = 64: d_h0_conv 5*5*C*64 + 64 (4,864 for C = 3); d_h1_conv
  5*5*64*128 + 128 = 204,928; d_bn1 256; d_h2_conv 5*5*128*256 + 256 =
  819,456; d_bn2 512; d_h3_conv 5*5*256*512 + 512 = 3,277,312; d_bn3 1,024;
  d_h4_lin 2*2*512 + 1 = 2,049: 4,310,401, and 4,800 more for every packed
  image's 3 channels (C = 3m: PacDCGAN2, PacDCGAN4)."""
  d = nets.make_discriminator("dcgan_tf", data_shape=(28, 28, channels), base_features=64)
  variables, inter = _abstract(d, jnp.zeros((2, 28, 28, channels)))
  assert _count(variables["params"]) == expected
  assert sorted(variables["batch_stats"]) == ["bn_1", "bn_2", "bn_3"]  # not the first
  assert [_out(inter, f"conv_{i}") for i in range(4)] == [
      (14, 14, 64), (7, 7, 128), (4, 4, 256), (2, 2, 512)]
  assert variables["params"]["out"]["kernel"].shape == (2048, 1)


def test_unrolled_gan_networks_have_the_references_layers_and_parameters():
  """unrolled_GAN_experiment/D=0.25G and D=0.5G/model.py, z_dim = 256:
  generator g_h0_lin 256*1024 + 1024 = 263,168; g_bn0 128; g_h1 3*3*32*64 +
  32 = 18,464; g_bn1 64; g_h2 3*3*16*32 + 16 = 4,624; g_bn2 32; g_h3
  3*3*8*16 + 8 = 1,160; g_bn3 16; g_h4 (a stride-1 conv) 3*3*8*3 + 3 = 219:
  287,875. D=0.25G: d_h0 3*3*3*2 + 2 = 56, d_bn1 4, d_h1 3*3*2*4 + 4 = 76,
  d_bn2 8, d_h2 3*3*4*8 + 8 = 296, d_bn3 16, d_h4_lin 4*4*8 + 1 = 129: 585;
  D=0.5G: 112 + 8 + 296 + 16 + 1,168 + 32 + 257 = 1,889."""
  g = nets.make_generator("unrolled_gan", data_shape=SHAPE, latent_dim=256, base_features=8)
  variables, inter = _abstract(g, jnp.zeros((2, 256)))
  assert _count(variables["params"]) == 287_875
  assert [_out(inter, n) for n in ("bn_0", "deconv_1", "deconv_2", "deconv_3", "out")] == [
      (4, 4, 64), (7, 7, 32), (14, 14, 16), (28, 28, 8), (28, 28, 3)]
  assert variables["params"]["out"]["kernel"].shape == (3, 3, 8, 3)  # conv2d, stride 1
  for base, count, widths in [(2, 585, (2, 4, 8)), (4, 1889, (4, 8, 16))]:
    d = nets.make_discriminator("unrolled_gan", data_shape=SHAPE, base_features=base)
    variables, inter = _abstract(d, jnp.zeros((2, *SHAPE)))
    assert _count(variables["params"]) == count
    assert sorted(variables["batch_stats"]) == ["bn_0", "bn_1", "bn_2"]  # BN on every conv
    assert [_out(inter, f"conv_{i}") for i in range(3)] == [
        (14, 14, widths[0]), (7, 7, widths[1]), (4, 4, widths[2])]
    assert variables["params"]["conv_0"]["kernel"].shape == (3, 3, 3, widths[0])


def test_leaky_slopes_and_batch_norm_of_the_presets():
  """The activation is max(x, slope x): a one-pixel net whose logit is the
  activation of its input (1x1 conv and dense of weight 1, biases 0) maps -1
  to -slope; the presets' slopes are ops.lrelu's 0.2 and the Unrolled GAN's
  leak=0.3, and only the latter normalises the first conv."""
  for slope in (0.2, 0.3):
    d = nets.TFDCGANDiscriminator((2, 2, 1), base_features=1, multipliers=(1,), kernel_size=1,
                                  negative_slope=slope, use_batch_norm=False)
    x = jnp.full((1, 2, 2, 1), -1.0)
    variables = d.init(jax.random.key(0), x, train=False)
    variables = {"params": {"conv_0": {"kernel": jnp.ones((1, 1, 1, 1)), "bias": jnp.zeros(1)},
                            "out": {"kernel": jnp.ones((1, 1)), "bias": jnp.zeros(1)}}}
    np.testing.assert_allclose(d.apply(variables, x, train=False), [-slope], rtol=1e-6)
  for arch, slope, first in [("dcgan_tf", 0.2, False), ("unrolled_gan", 0.3, True)]:
    d = nets.make_discriminator(arch, data_shape=SHAPE, base_features=2)
    assert (d.negative_slope, d.batch_norm_first) == (slope, first)
  no_bn = nets.make_discriminator("dcgan_tf", data_shape=SHAPE, base_features=2,
                                  use_batch_norm=False)
  assert "batch_stats" not in _abstract(no_bn, jnp.zeros((2, *SHAPE)))[0]


def test_generator_outputs_images_in_range_and_initialisation_is_tensorflows():
  g = nets.make_generator("dcgan_tf", data_shape=SHAPE, latent_dim=8, base_features=8)
  z = jax.random.uniform(jax.random.key(0), (4, 8), minval=-1.0, maxval=1.0)
  x, variables = jax.jit(g.init_with_output, static_argnames="train")(jax.random.key(1), z,
                                                                       train=False)
  assert x.shape == (4, *SHAPE) and float(jnp.max(jnp.abs(x))) <= 1.0
  params = variables["params"]
  # deconv2d and linear: N(0, 0.02^2); biases 0.
  w = np.asarray(params["deconv_1"]["kernel"])
  assert 0.018 < w.std() < 0.022 and np.abs(w).max() > 0.045  # untruncated tails
  assert not np.any(params["deconv_1"]["bias"]) and not np.any(params["project"]["bias"])
  d = nets.make_discriminator("dcgan_tf", data_shape=SHAPE, base_features=8)
  init = jax.jit(d.init, static_argnames="train")
  w = np.asarray(init(jax.random.key(2), x, train=False)["params"]["conv_3"]["kernel"])
  # conv2d: truncated_normal_initializer(stddev=0.02), cut at 2 sd (sd 0.88 * 0.02).
  assert np.abs(w).max() <= 0.04 + 1e-7 and 0.016 < w.std() < 0.019


def test_encoder_is_the_discriminators_convs_with_a_code():
  e = nets.make_encoder("dcgan_tf", data_shape=SHAPE, latent_dim=100, base_features=64)
  assert isinstance(e, nets.TFDCGANEncoder)
  variables, _ = _abstract(e, jnp.zeros((2, *SHAPE)))
  d_params = _abstract(nets.make_discriminator("dcgan_tf", data_shape=SHAPE,
                                               base_features=64),
                       jnp.zeros((2, *SHAPE)))[0]["params"]
  # The same convs and BN; a 2048 x 100 code layer instead of the 2048 x 1 logit.
  assert _count(variables["params"]) == _count(d_params) + 2048 * 99 + 99
  assert variables["params"]["out"]["kernel"].shape == (2048, 100)


def test_errors_name_what_is_wrong():
  with pytest.raises(ValueError, match=r"arch 'dcgan_tf' needs data_shape \(H, W, C\)"):
    nets.make_generator("dcgan_tf", data_shape=(2,), latent_dim=4)
  with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['hidden'\]"):
    nets.make_discriminator("unrolled_gan", data_shape=SHAPE, hidden=(4,))
  with pytest.raises(ValueError, match="output_stride=3 is invalid: valid values are 2"):
    nets.TFDCGANGenerator(SHAPE, output_stride=3)
  with pytest.raises(ValueError, match="multipliers=\\(\\) is invalid"):
    nets.TFDCGANDiscriminator(SHAPE, multipliers=())
  d = nets.TFDCGANDiscriminator(SHAPE, base_features=2)
  with pytest.raises(ValueError, match=r"expects inputs of shape \[B, 28, 28, 3\]"):
    d.init(jax.random.key(0), jnp.zeros((1, 28, 28, 6)), train=False)
