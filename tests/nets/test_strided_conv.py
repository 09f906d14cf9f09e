"""The DCGAN 4x4 stride-2 layers of ``nets.strided_conv`` compute the same
function as the XLA convolutions they replace: values, gradients (input and
kernel), the second derivatives a gradient penalty takes and a third
derivative, at top level and inside ``lax.scan``; both the fast
``custom_vjp`` forms and the plain-``jnp`` matmul forms, checked against
``lax.conv_general_dilated`` / ``lax.conv_transpose`` / Flax's ``Conv`` and
``ConvTranspose``, and against a direct numpy loop over the definition."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from gengan_jax.nets import dcgan
from gengan_jax.nets import strided_conv as sc

DN = ("NHWC", "HWIO", "NHWC")
# float32 sums of <= 16 * C_in products of O(1) numbers.
TOL = dict(rtol=1e-5, atol=1e-5)


def _lax_conv(x, w):
  return lax.conv_general_dilated(x, w, (2, 2), "SAME", dimension_numbers=DN)


def _lax_conv_transpose(x, w):
  return lax.conv_transpose(x, w, (2, 2), "SAME", dimension_numbers=DN)


def _numpy_conv(x, w):
  """The definition: 'SAME' pads 2*o + 2 - n in total, floor half before."""
  b, h, wd, _ = x.shape
  oh, ow = -(-h // 2), -(-wd // 2)
  top, left = (2 * oh + 2 - h) // 2, (2 * ow + 2 - wd) // 2
  xp = np.zeros((b, 2 * oh + 2, 2 * ow + 2, x.shape[3]))
  xp[:, top:top + h, left:left + wd] = x
  y = np.zeros((b, oh, ow, w.shape[3]))
  for i in range(oh):
    for j in range(ow):
      window = xp[:, 2 * i:2 * i + 4, 2 * j:2 * j + 4]  # [B, 4, 4, C_in]
      y[:, i, j] = np.einsum("bklc,klco->bo", window, w)
  return y


def _numpy_conv_transpose(x, w):
  """The definition (Flax/lax, ``transpose_kernel=False``, 'SAME'): dilate x
  by 2, pad 2 on each side and correlate with W, i.e.
  ``y_o = sum_k d_{o + k - 2} W_k`` with ``d_{2i} = x_i`` and zeros between.
  """
  b, h, wd, _ = x.shape
  y = np.zeros((b, 2 * h, 2 * wd, w.shape[3]))
  for o1 in range(2 * h):
    for o2 in range(2 * wd):
      for k1 in range(4):
        for k2 in range(4):
          r, c = o1 + k1 - 2, o2 + k2 - 2
          if r % 2 or c % 2 or not (0 <= r // 2 < h and 0 <= c // 2 < wd):
            continue
          y[:, o1, o2] += x[:, r // 2, c // 2] @ w[k1, k2]
  return y


def _inputs(shape, c_out, seed=0):
  kx, kw, kc = jax.random.split(jax.random.key(seed), 3)
  x = jax.random.normal(kx, shape)
  w = jax.random.normal(kw, (4, 4, shape[-1], c_out)) / 4.0
  return x, w, kc


# (input shape NHWC, output channels): even and odd sizes, non-square, 1x1.
SHAPES = [((2, 8, 8, 3), 4), ((2, 7, 5, 2), 3), ((1, 1, 1, 2), 2),
          ((3, 6, 9, 1), 5)]


CONVS = [sc.conv_4x4_stride2, sc.conv_4x4_stride2_matmul]
CONV_TRANSPOSES = [sc.conv_transpose_4x4_stride2,
                   sc.conv_transpose_4x4_stride2_matmul]
# (implementation, lax reference) for every function of the module.
PAIRS = ([(f, _lax_conv) for f in CONVS]
         + [(f, _lax_conv_transpose) for f in CONV_TRANSPOSES])
PAIR_IDS = ["conv", "conv_matmul", "conv_transpose", "conv_transpose_matmul"]


@pytest.mark.parametrize("conv", CONVS, ids=PAIR_IDS[:2])
@pytest.mark.parametrize("shape,c_out", SHAPES)
def test_conv_matches_numpy_definition(conv, shape, c_out):
  x, w, _ = _inputs(shape, c_out)
  want = _numpy_conv(np.asarray(x, np.float64), np.asarray(w, np.float64))
  np.testing.assert_allclose(conv(x, w), want, **TOL)
  # The reference itself agrees with lax (so the definition is the right one).
  np.testing.assert_allclose(_lax_conv(x, w), want, **TOL)


@pytest.mark.parametrize("conv_transpose", CONV_TRANSPOSES, ids=PAIR_IDS[2:])
@pytest.mark.parametrize("shape,c_out", SHAPES)
def test_conv_transpose_matches_numpy_definition(conv_transpose, shape, c_out):
  x, w, _ = _inputs(shape, c_out)
  want = _numpy_conv_transpose(np.asarray(x, np.float64),
                               np.asarray(w, np.float64))
  np.testing.assert_allclose(conv_transpose(x, w), want, **TOL)
  np.testing.assert_allclose(_lax_conv_transpose(x, w), want, **TOL)


@pytest.mark.parametrize("fast,ref", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("shape,c_out", SHAPES)
def test_same_values_and_gradients_as_lax(fast, ref, shape, c_out):
  x, w, kc = _inputs(shape, c_out)
  y_fast, vjp_fast = jax.vjp(fast, x, w)
  y_ref, vjp_ref = jax.vjp(ref, x, w)
  assert y_fast.shape == y_ref.shape and y_fast.dtype == y_ref.dtype
  np.testing.assert_allclose(y_fast, y_ref, **TOL)
  cotangent = jax.random.normal(kc, y_ref.shape)
  for g_fast, g_ref in zip(vjp_fast(cotangent), vjp_ref(cotangent)):
    assert g_fast.shape == g_ref.shape
    np.testing.assert_allclose(g_fast, g_ref, **TOL)


@pytest.mark.parametrize("fast,ref", [PAIRS[1], PAIRS[3]],
                         ids=[PAIR_IDS[1], PAIR_IDS[3]])
def test_matmul_forms_support_forward_mode(fast, ref):
  """jvp, e.g. for Hessian-vector products in forward-over-reverse."""
  x, w, kc = _inputs((2, 7, 5, 2), 3)
  tx, tw = jax.random.normal(kc, x.shape), jax.random.normal(kc, w.shape)
  _, t_fast = jax.jvp(fast, (x, w), (tx, tw))
  _, t_ref = jax.jvp(ref, (x, w), (tx, tw))
  np.testing.assert_allclose(t_fast, t_ref, **TOL)


@pytest.mark.parametrize("fast", [PAIRS[0][0], PAIRS[2][0]],
                         ids=[PAIR_IDS[0], PAIR_IDS[2]])
def test_fast_forms_refuse_forward_mode_clearly(fast):
  x, w, _ = _inputs((1, 4, 4, 2), 3)
  with pytest.raises(TypeError, match="custom_vjp"):
    jax.jvp(fast, (x, w), (x, w))


def _penalties(conv, x, w, v):
  """A gradient penalty in both arguments, and a third derivative."""
  score_x = lambda x, w: jnp.sum(jnp.tanh(conv(x, w)) * v)
  score_w = lambda w, x: jnp.sum(jnp.tanh(conv(x, w)) * v)
  # d/dW ||d/dx f||^2 (WGAN-GP, R1) and d/dx ||d/dW f||^2.
  pen_x = lambda w: jnp.sum(jax.grad(score_x)(x, w) ** 2)
  pen_w = lambda x: jnp.sum(jax.grad(score_w)(w, x) ** 2)
  third = jax.grad(lambda w: jnp.sum(jnp.sin(jax.grad(pen_x)(w))))(w)
  return (pen_x(w), jax.grad(pen_x)(w), pen_w(x), jax.grad(pen_w)(x), third)


@pytest.mark.parametrize("fast,ref", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("shape", [(2, 6, 6, 2), (1, 5, 3, 2)])
def test_same_higher_derivatives_as_lax(fast, ref, shape):
  """The double backward of a gradient penalty (in W and in x) and a third
  derivative: every order stays within the module's three maps."""
  x, w, kc = _inputs(shape, 3, seed=1)
  v = jax.random.normal(kc, jax.eval_shape(ref, x, w).shape)
  # Compiled whole (op by op, the third derivative's hundreds of primitives
  # take 2-6x longer to dispatch than to compile as one program).
  penalties = jax.jit(_penalties, static_argnums=0)
  for got, want in zip(penalties(fast, x, w, v), penalties(ref, x, w, v)):
    # float32 sums of O(100) terms of size O(100) (the third derivative).
    scale = max(1.0, float(jnp.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-5 * scale)


@pytest.mark.parametrize("xla", ["fast_compile", pytest.param("optimized", marks=pytest.mark.optimized)])
@pytest.mark.parametrize("fast,ref", [PAIRS[0], PAIRS[2]],
                         ids=[PAIR_IDS[0], PAIR_IDS[2]])
def test_same_derivatives_inside_scan(fast, ref, xla):
  """A critic loop (``lax.scan``) compiles the layers differently on CPU
  (the kernel gradient is written in XLA's canonical layout for that): same
  values, gradients and penalty gradients as at top level (``xla``: with
  and without XLA's default optimisations, see ``tests/conftest.py``)."""
  del xla
  x, w, kc = _inputs((2, 6, 6, 2), 3, seed=2)
  v = jax.random.normal(kc, jax.eval_shape(ref, x, w).shape)

  def looped(conv):
    """Sum over two scan iterations of a gradient and a penalty gradient."""
    def body(total, scale):
      grad = jax.grad(lambda w: jnp.sum(conv(x, w) * v))(w)
      penalty_grad = _penalties(conv, x, w, v)[1]
      return total + scale * (grad + penalty_grad), None
    return jax.lax.scan(body, jnp.zeros_like(w), jnp.arange(1.0, 3.0))[0]

  np.testing.assert_allclose(jax.jit(looped, static_argnums=0)(fast),
                             jax.jit(looped, static_argnums=0)(ref),
                             rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("fast_cls,flax_cls", [
    (sc.Conv4x4, nn.Conv), (sc.ConvTranspose4x4, nn.ConvTranspose)],
    ids=["Conv4x4", "ConvTranspose4x4"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_modules_are_drop_in_replacements(fast_cls, flax_cls, use_bias):
  x = jax.random.normal(jax.random.key(3), (2, 7, 7, 3))
  init = nn.initializers.normal(0.5)
  fast = fast_cls(5, use_bias=use_bias, kernel_init=init,
                  bias_init=nn.initializers.normal(0.5))
  ref = flax_cls(5, (4, 4), strides=(2, 2), padding="SAME", use_bias=use_bias,
                 kernel_init=init, bias_init=nn.initializers.normal(0.5))
  key = jax.random.key(4)
  v_fast, v_ref = fast.init(key, x), ref.init(key, x)
  # Same parameter tree, shapes and initial values: checkpoints carry over.
  assert jax.tree.structure(v_fast) == jax.tree.structure(v_ref)
  for a, b in zip(jax.tree.leaves(v_fast), jax.tree.leaves(v_ref)):
    np.testing.assert_array_equal(a, b)

  def loss(module, params):
    return jnp.sum(jnp.sin(module.apply(params, x)))

  np.testing.assert_allclose(fast.apply(v_ref, x), ref.apply(v_ref, x), **TOL)
  g_fast = jax.grad(lambda p: loss(fast, p))(v_ref)
  g_ref = jax.grad(lambda p: loss(ref, p))(v_ref)
  for a, b in zip(jax.tree.leaves(g_fast), jax.tree.leaves(g_ref)):
    np.testing.assert_allclose(a, b, **TOL)


@pytest.mark.parametrize("module,x,fast,slow", [
    (dcgan.DCGANGenerator((28, 28, 1), base_features=2), jnp.zeros((1, 3)),
     "ConvTranspose4x4", "ConvTranspose"),
    (dcgan.DCGANDiscriminator((28, 28, 1), base_features=2),
     jnp.zeros((1, 28, 28, 1)), "Conv4x4", "Conv"),
    (dcgan.DCGANEncoder((28, 28, 1), latent_dim=3, base_features=2),
     jnp.zeros((1, 28, 28, 1)), "Conv4x4", "Conv"),
], ids=["generator", "discriminator", "encoder"])
def test_dcgan_nets_use_the_fast_layers(module, x, fast, slow):
  variables = module.init(jax.random.key(0), x, train=False)
  called = []

  def interceptor(next_fun, args, kwargs, context):
    called.append(type(context.module).__name__)
    return next_fun(*args, **kwargs)

  with nn.intercept_methods(interceptor):
    module.apply(variables, x, train=False)
  assert fast in called and slow not in called


@pytest.mark.parametrize("fn", CONVS + CONV_TRANSPOSES, ids=PAIR_IDS)
def test_bad_shapes_name_the_argument(fn):
  with pytest.raises(ValueError, match=r"x must be \[B, H, W, C_in\]"):
    fn(jnp.zeros((4, 4, 2)), jnp.zeros((4, 4, 2, 3)))
  with pytest.raises(ValueError, match=r"kernel must be \[4, 4, C_in, C_out\]"):
    fn(jnp.zeros((1, 4, 4, 2)), jnp.zeros((3, 3, 2, 3)))
  with pytest.raises(ValueError, match=r"C_in = 2"):
    fn(jnp.zeros((1, 4, 4, 2)), jnp.zeros((4, 4, 5, 3)))


@pytest.mark.parametrize("shape,c_out", SHAPES)
def test_both_backend_forms_of_the_input_gradient_are_one_function(shape, c_out):
  """``conv_t`` has a CPU form (matmul + col2im) and the form of GPUs and TPUs
  (XLA's input-dilated convolution); both are the input gradient of the
  convolution, checked here against numpy on the CPU. The library's layer
  runs the CPU form on a CPU: its input gradient is that form's, bit for bit."""
  x, w, kc = _inputs(shape, c_out)
  g = jax.random.normal(kc, _lax_conv(x, w).shape)
  # <g, conv(x, W)> is linear in x: its gradient is sum_o g[o] dconv[o]/dx.
  want = np.zeros(x.shape)
  w64, g64 = (np.asarray(a, np.float64) for a in (w, g))
  for i in np.ndindex(x.shape[1:]):
    e = np.zeros(x.shape[1:])
    e[i] = 1.0
    want[(slice(None),) + i] = np.sum(
        g64 * _numpy_conv(np.broadcast_to(e, x.shape), w64), axis=(1, 2, 3))
  for form in (sc.conv_t_matmul, sc.conv_t_native):
    np.testing.assert_allclose(form(g, w, x.shape[1:3]), want, **TOL)
  _, vjp = jax.vjp(sc.conv_4x4_stride2, x, w)
  np.testing.assert_array_equal(vjp(g)[0], sc.conv_t_matmul(g, w, x.shape[1:3]))
