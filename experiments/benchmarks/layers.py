r"""Per-layer probe: the DCGAN 4x4 stride-2 layer's three maps, JAX vs PyTorch.

Every derivative of a 4x4 stride-2 convolution is one of three maps
(``gengan_jax.nets.strided_conv``): the forward ``conv``, its input gradient
``conv_t`` (= the generator's transposed convolution) and its kernel gradient
``conv_w``. A DCGAN-style step is mostly these, so their speed bounds the
step's. This times each (batch 64, the MNIST layers) in every form the
library considered -- ``lax`` as written by JAX's autodiff, the matmul form,
the canonical-layout kernel gradient the library uses -- at top level and
inside a ``lax.scan`` (XLA compiles loop bodies differently), next to
PyTorch's (oneDNN) forward, forward + input gradient and forward + kernel
gradient, from which its two gradients are read off by difference.

Run from the repository root (PyTorch optional)::

  python -m experiments.benchmarks.layers
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
from jax import lax

from gengan_jax.nets import strided_conv as sc

try:  # PyTorch is an optional, benchmark-only dependency.
  import torch
except ImportError:  # pragma: no cover - depends on the environment.
  torch = None

DN = ("NHWC", "HWIO", "NHWC")
# (x-side H, C_x, C_y) of the MNIST DCGAN layers: D's conv_1 / G's deconv_1,
# and D's conv_0 / G's output layer.
LAYERS = [(14, 64, 128), (28, 1, 64)]


def _lax_conv(x, w):
  return lax.conv_general_dilated(x, w, (2, 2), "SAME", dimension_numbers=DN)


def _transpose_of(f, shape, dtype=jnp.float32):
  return lambda a: jax.linear_transpose(f, jax.ShapeDtypeStruct(shape, dtype))(a)[0]


def forms(x, w, g):
  """name -> (function of one array, its argument)."""
  xs, ws = x.shape, w.shape
  return {
      "conv / lax (library)": (lambda x: _lax_conv(x, w), x),
      "conv / matmul": (lambda x: sc.conv_4x4_stride2_matmul(x, w), x),
      "conv_t / lax": (_transpose_of(lambda x: _lax_conv(x, w), xs), g),
      "conv_t / matmul (library)": (lambda g: sc._conv_t(g, w, xs[1:3]), g),
      "conv_w / lax": (_transpose_of(lambda w: _lax_conv(x, w), ws), g),
      "conv_w / matmul": (_transpose_of(
          lambda w: sc.conv_4x4_stride2_matmul(x, w), ws), g),
      "conv_w / canonical lax (library)": (lambda g: sc._conv_w(x, g), g),
  }


def _median_ms(fn, arg, repeats):
  jax.block_until_ready(fn(arg))
  times = []
  for _ in range(repeats):
    t = time.perf_counter()
    jax.block_until_ready(fn(arg))
    times.append(time.perf_counter() - t)
  return 1e3 * statistics.median(times)


def _in_scan(f, n):
  """``f`` applied ``n`` times in a ``lax.scan`` (summed, so none is dead)."""
  def run(a):
    out = jax.eval_shape(f, a)
    body = lambda acc, i: (acc + f(a + i.astype(a.dtype)), None)
    return lax.scan(body, jnp.zeros(out.shape, out.dtype), jnp.arange(n))[0]
  return run


def torch_ms(h, c_x, c_y, batch, repeats):
  """PyTorch: forward, input gradient, kernel gradient (ms)."""
  x = torch.randn(batch, c_x, h, h, requires_grad=True)
  w = (torch.randn(c_y, c_x, 4, 4) * 0.05).requires_grad_()
  f = lambda: torch.nn.functional.conv2d(x, w, stride=2, padding=1)
  g = torch.randn_like(f())

  def time_it(fn):
    fn()
    times = []
    for _ in range(repeats):
      t = time.perf_counter()
      fn()
      times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)

  with torch.no_grad():
    fwd = time_it(f)
  fwd_dx = time_it(lambda: torch.autograd.grad(f(), x, g))
  fwd_dw = time_it(lambda: torch.autograd.grad(f(), w, g))
  return {"conv": fwd, "conv_t": fwd_dx - fwd, "conv_w": fwd_dw - fwd}


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  p.add_argument("--batch_size", type=int, default=64)
  p.add_argument("--repeats", type=int, default=21)
  p.add_argument("--scan_length", type=int, default=4)
  p.add_argument("--torch_threads", type=int, default=0,
                 help="PyTorch intra-op threads (0: all cores)")
  args = p.parse_args(argv)
  if torch is not None and args.torch_threads > 0:
    torch.set_num_threads(args.torch_threads)
  print(f"Device: {jax.devices()[0].device_kind}; batch {args.batch_size}; "
        f"median of {args.repeats} calls; PyTorch "
        f"{torch.__version__ if torch else 'not installed'}")
  print("| layer (x <-> y) | map / form | GFLOP | ms (top level) | ms (in lax.scan) "
        "| GFLOP/s | PyTorch ms |")
  print("|---|---|---|---|---|---|---|")
  for h, c_x, c_y in LAYERS:
    keys = jax.random.split(jax.random.key(0), 3)
    x = jax.random.normal(keys[0], (args.batch_size, h, h, c_x))
    w = jax.random.normal(keys[1], (4, 4, c_x, c_y)) * 0.05
    g = jax.random.normal(keys[2], (args.batch_size, h // 2, h // 2, c_y))
    gflop = 2 * args.batch_size * (h // 2) ** 2 * 16 * c_x * c_y / 1e9
    ref = (torch_ms(h, c_x, c_y, args.batch_size, args.repeats)
           if torch is not None else {})
    layer = f"{h}x{h}x{c_x} <-> {h // 2}x{h // 2}x{c_y}"
    for name, (f, a) in forms(x, w, g).items():
      top = _median_ms(jax.jit(f), a, args.repeats)
      looped = _median_ms(jax.jit(_in_scan(f, args.scan_length)), a,
                          max(3, args.repeats // 4)) / args.scan_length
      op = name.split(" / ")[0]
      t_ref = f"{ref[op]:.2f}" if op in ref else "-"
      print(f"| {layer} | {name} | {gflop:.3f} | {top:.2f} | {looped:.2f} | "
            f"{gflop / top * 1e3:.0f} | {t_ref} |", flush=True)


if __name__ == "__main__":
  main()
