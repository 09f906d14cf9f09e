r"""Inception-v3 features for FID/KID/IS: the network of the standard FID.

The FID of Heusel et al. (2017) uses the pool3 features (2048-D) of the
TensorFlow Inception-v3 graph of 2015-12-05
(``inception-2015-12-05.tgz``, the graph of the original TTUR FID code).
This module is that network in Flax, with the three deviations of that
graph from the textbook Inception-v3 (average pools that exclude padding,
a max pool in the last block, 1008 output classes), the TensorFlow-1
bilinear resize to 299x299, and a loader for its weights from a local file.

**Where the weights come from.** Nothing is downloaded. Use one of the
PyTorch conversions of the 2015-12-05 graph, which share parameter names:

* pytorch-fid (Seitzer): ``pt_inception-2015-12-05-6726825d.pth`` from the
  ``fid_weights`` release of ``github.com/mseitzer/pytorch-fid``;
* torch-fidelity (Obukhov et al.): ``weights-inception-2015-12-05-6726825d.pth``
  from the ``v0.2.0`` release of ``github.com/toshas/torch-fidelity``.

Load the ``.pth`` directly (needs ``torch``), or convert it once to a
torch-free ``.npz`` with
``python -m gengan_jax.metrics.inception convert <in.pth> <out.npz>`` and
load that. :func:`load_inception_v3` raises ``FileNotFoundError`` with these
instructions when the file is missing.

The feature extractor is pluggable: FID/KID/precision-recall take features
from any ``[B, ...] -> [B, D]`` function, e.g. the MNIST classifier of
:mod:`gengan_jax.metrics.classifier` for 28x28 digits.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["InceptionV3", "resize_bilinear_tf1", "convert_torch_state_dict",
           "apply_in_batches", "file_fingerprint", "load_inception_v3", "WEIGHTS_HELP"]

INPUT_SIZE = 299
WEIGHTS_HELP = (
    "Inception-v3 FID weights are not downloaded by this library. Get the "
    "PyTorch conversion of TensorFlow's inception-2015-12-05 graph, e.g. "
    "pt_inception-2015-12-05-6726825d.pth from the 'fid_weights' release of "
    "https://github.com/mseitzer/pytorch-fid (or "
    "weights-inception-2015-12-05-6726825d.pth from the v0.2.0 release of "
    "https://github.com/toshas/torch-fidelity), then pass its path (needs "
    "torch), or convert it once without torch at load time: "
    "`python -m gengan_jax.metrics.inception convert <file.pth> <file.npz>`.")


class _Conv(nn.Module):
  """Convolution (no bias), batch norm (inference, eps 1e-3), ReLU."""

  features: int
  kernel: tuple[int, int]
  strides: int = 1
  padding: tuple[int, int] = (0, 0)

  @nn.compact
  def __call__(self, x):
    ph, pw = self.padding
    x = nn.Conv(self.features, self.kernel, (self.strides, self.strides),
                padding=((ph, ph), (pw, pw)), use_bias=False, name="conv")(x)
    x = nn.BatchNorm(use_running_average=True, epsilon=1e-3, name="bn")(x)
    return nn.relu(x)


def _avg_pool_same(x):  # 3x3, stride 1, zero padding excluded from the mean
  return nn.avg_pool(x, (3, 3), (1, 1), padding=((1, 1), (1, 1)),
                     count_include_pad=False)


def _max_pool(x, stride=2, pad=0):
  return nn.max_pool(x, (3, 3), (stride, stride), padding=((pad, pad), (pad, pad)))


class _BlockA(nn.Module):
  pool_features: int

  @nn.compact
  def __call__(self, x):
    b1 = _Conv(64, (1, 1), name="branch1x1")(x)
    b5 = _Conv(48, (1, 1), name="branch5x5_1")(x)
    b5 = _Conv(64, (5, 5), padding=(2, 2), name="branch5x5_2")(b5)
    b3 = _Conv(64, (1, 1), name="branch3x3dbl_1")(x)
    b3 = _Conv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(b3)
    b3 = _Conv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_3")(b3)
    bp = _Conv(self.pool_features, (1, 1), name="branch_pool")(_avg_pool_same(x))
    return jnp.concatenate([b1, b5, b3, bp], axis=-1)


class _BlockB(nn.Module):
  @nn.compact
  def __call__(self, x):
    b3 = _Conv(384, (3, 3), strides=2, name="branch3x3")(x)
    bd = _Conv(64, (1, 1), name="branch3x3dbl_1")(x)
    bd = _Conv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = _Conv(96, (3, 3), strides=2, name="branch3x3dbl_3")(bd)
    return jnp.concatenate([b3, bd, _max_pool(x)], axis=-1)


class _BlockC(nn.Module):
  channels_7x7: int

  @nn.compact
  def __call__(self, x):
    c7 = self.channels_7x7
    b1 = _Conv(192, (1, 1), name="branch1x1")(x)
    b7 = _Conv(c7, (1, 1), name="branch7x7_1")(x)
    b7 = _Conv(c7, (1, 7), padding=(0, 3), name="branch7x7_2")(b7)
    b7 = _Conv(192, (7, 1), padding=(3, 0), name="branch7x7_3")(b7)
    bd = _Conv(c7, (1, 1), name="branch7x7dbl_1")(x)
    bd = _Conv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_2")(bd)
    bd = _Conv(c7, (1, 7), padding=(0, 3), name="branch7x7dbl_3")(bd)
    bd = _Conv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_4")(bd)
    bd = _Conv(192, (1, 7), padding=(0, 3), name="branch7x7dbl_5")(bd)
    bp = _Conv(192, (1, 1), name="branch_pool")(_avg_pool_same(x))
    return jnp.concatenate([b1, b7, bd, bp], axis=-1)


class _BlockD(nn.Module):
  @nn.compact
  def __call__(self, x):
    b3 = _Conv(192, (1, 1), name="branch3x3_1")(x)
    b3 = _Conv(320, (3, 3), strides=2, name="branch3x3_2")(b3)
    b7 = _Conv(192, (1, 1), name="branch7x7x3_1")(x)
    b7 = _Conv(192, (1, 7), padding=(0, 3), name="branch7x7x3_2")(b7)
    b7 = _Conv(192, (7, 1), padding=(3, 0), name="branch7x7x3_3")(b7)
    b7 = _Conv(192, (3, 3), strides=2, name="branch7x7x3_4")(b7)
    return jnp.concatenate([b3, b7, _max_pool(x)], axis=-1)


class _BlockE(nn.Module):
  max_pool: bool  # the 2015-12-05 graph max-pools in its last block

  @nn.compact
  def __call__(self, x):
    b1 = _Conv(320, (1, 1), name="branch1x1")(x)
    b3 = _Conv(384, (1, 1), name="branch3x3_1")(x)
    b3 = jnp.concatenate([_Conv(384, (1, 3), padding=(0, 1), name="branch3x3_2a")(b3),
                          _Conv(384, (3, 1), padding=(1, 0), name="branch3x3_2b")(b3)], -1)
    bd = _Conv(448, (1, 1), name="branch3x3dbl_1")(x)
    bd = _Conv(384, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = jnp.concatenate([_Conv(384, (1, 3), padding=(0, 1), name="branch3x3dbl_3a")(bd),
                          _Conv(384, (3, 1), padding=(1, 0), name="branch3x3dbl_3b")(bd)], -1)
    pooled = _max_pool(x, stride=1, pad=1) if self.max_pool else _avg_pool_same(x)
    bp = _Conv(192, (1, 1), name="branch_pool")(pooled)
    return jnp.concatenate([b1, b3, bd, bp], axis=-1)


class InceptionV3(nn.Module):
  """Inception-v3 as in TensorFlow's 2015-12-05 graph (the FID network).

  Input: images ``[B, H, W, 3]`` already scaled to ``[-1, 1)`` by
  ``(u - 128) / 128`` of 8-bit values ``u`` (see :func:`load_inception_v3`,
  which also resizes to 299x299). Returns ``(pool3 [B, 2048], logits
  [B, 1008])``; FID/KID/precision-recall use pool3, the inception score the
  logits (torch-fidelity drops the final bias, "logits_unbiased").
  """

  @nn.compact
  def __call__(self, x):
    x = _Conv(32, (3, 3), strides=2, name="Conv2d_1a_3x3")(x)
    x = _Conv(32, (3, 3), name="Conv2d_2a_3x3")(x)
    x = _Conv(64, (3, 3), padding=(1, 1), name="Conv2d_2b_3x3")(x)
    x = _max_pool(x)
    x = _Conv(80, (1, 1), name="Conv2d_3b_1x1")(x)
    x = _Conv(192, (3, 3), name="Conv2d_4a_3x3")(x)
    x = _max_pool(x)
    x = _BlockA(32, name="Mixed_5b")(x)
    x = _BlockA(64, name="Mixed_5c")(x)
    x = _BlockA(64, name="Mixed_5d")(x)
    x = _BlockB(name="Mixed_6a")(x)
    for name, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160),
                     ("Mixed_6e", 192)):
      x = _BlockC(c7, name=name)(x)
    x = _BlockD(name="Mixed_7a")(x)
    x = _BlockE(max_pool=False, name="Mixed_7b")(x)
    x = _BlockE(max_pool=True, name="Mixed_7c")(x)
    pool3 = x.mean(axis=(1, 2))
    logits = nn.Dense(1008, name="fc")(pool3)
    return pool3, logits


def resize_bilinear_tf1(x: jax.Array, size: int) -> jax.Array:
  r"""Bilinear resize of ``[B, H, W, C]`` to ``[B, size, size, C]`` as TF 1.x.

  TensorFlow 1's ``resize_bilinear`` (``align_corners=False``, no half-pixel
  centres) reads output pixel ``i`` at source coordinate ``i * H / size``
  (unlike ``jax.image.resize``, which uses ``(i + 0.5) H / size - 0.5``); the
  FID graph resizes this way, so its features need it.
  """
  def axis_weights(n_in):
    src = jnp.arange(size, dtype=jnp.float32) * (n_in / size)
    i0 = jnp.clip(jnp.floor(src).astype(jnp.int32), 0, n_in - 1)
    i1 = jnp.minimum(i0 + 1, n_in - 1)
    return i0, i1, src - i0

  h0, h1, wh = axis_weights(x.shape[1])
  w0, w1, ww = axis_weights(x.shape[2])
  top = x[:, h0] * (1 - wh)[None, :, None, None] + x[:, h1] * wh[None, :, None, None]
  return (top[:, :, w0] * (1 - ww)[None, None, :, None]
          + top[:, :, w1] * ww[None, None, :, None])


def convert_torch_state_dict(state_dict: Mapping[str, Any]) -> dict:
  """Flax variables of :class:`InceptionV3` from a pytorch-fid/torch-fidelity
  state dict (names such as ``Mixed_5b.branch1x1.conv.weight``; values as
  numpy arrays or tensors). Unused entries (``num_batches_tracked``,
  ``AuxLogits.*``) are ignored; a missing one raises ``KeyError``."""
  arrays = {k: np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v)
            for k, v in state_dict.items()}
  template = jax.eval_shape(InceptionV3().init, jax.random.key(0),
                            jnp.zeros((1, 75, 75, 3)))
  params, stats = {}, {}

  def put(tree, path, value, expected):
    node = tree
    for p in path[:-1]:
      node = node.setdefault(p, {})
    if value.shape != expected.shape:
      raise ValueError(f"{'/'.join(path)}: expected shape {expected.shape}, got "
                       f"{value.shape} from the state dict.")
    node[path[-1]] = jnp.asarray(value, jnp.float32)

  flat = jax.tree_util.tree_flatten_with_path(template)[0]
  for keypath, leaf in flat:
    path = [k.key for k in keypath]
    collection, names = path[0], path[1:]
    torch_prefix = ".".join(names[:-2] if names[-2] in ("conv", "bn") else names[:-1])
    module, leaf_name = names[-2], names[-1]
    if module == "conv":
      value = arrays[f"{torch_prefix}.conv.weight"].transpose(2, 3, 1, 0)
    elif module == "bn":
      torch_name = {"scale": "weight", "bias": "bias", "mean": "running_mean",
                    "var": "running_var"}[leaf_name]
      value = arrays[f"{torch_prefix}.bn.{torch_name}"]
    else:  # fc
      value = (arrays["fc.weight"].T if leaf_name == "kernel" else arrays["fc.bias"])
    put(params if collection == "params" else stats, names, value, leaf)
  return {"params": params, "batch_stats": stats}


def apply_in_batches(fn: Callable[[jax.Array], Any], x: np.ndarray, batch_size: int
                     ) -> Any:
  """``fn`` over ``x`` in batches of ``batch_size``, the results on the host.

  Only one batch is on the device at a time: 50,000 samples for FID pass
  through in ``ceil(50000 / batch_size)`` calls. When ``x`` has more than
  ``batch_size`` examples, the last batch is padded (with copies of the last
  example) to ``batch_size``, so ``fn`` compiles for one shape; the padding
  is dropped from the results.

  Args:
    fn: ``[b, ...] -> pytree of [b, ...]`` arrays.
    x: host inputs ``[N, ...]``, ``N >= 1``.
    batch_size: examples per call.

  Returns:
    ``fn``'s pytree with each leaf the numpy concatenation ``[N, ...]``.

  Raises:
    ValueError: ``batch_size`` is not a positive int, or ``x`` is empty.
  """
  if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) \
      or batch_size < 1:
    raise ValueError(f"apply_in_batches: batch_size must be a positive int, got "
                     f"{batch_size!r}.")
  n = len(x)
  if n == 0:
    raise ValueError("apply_in_batches: x has no examples.")
  outs = []
  for start in range(0, n, batch_size):
    chunk = np.asarray(x[start:start + batch_size])
    m = len(chunk)
    if m < batch_size and n > batch_size:
      chunk = np.concatenate([chunk, np.repeat(chunk[-1:], batch_size - m, axis=0)])
    outs.append(jax.tree.map(lambda a, m=m: np.asarray(a)[:m], fn(jnp.asarray(chunk))))
  return jax.tree.map(lambda *leaves: np.concatenate(leaves), *outs)


def file_fingerprint(path: str | os.PathLike) -> str:
  """The SHA-256 of a file's bytes, as hex (names cached features by weights)."""
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
      digest.update(block)
  return digest.hexdigest()


def load_inception_v3(path: str | os.PathLike, *, batch_size: int = 100
                      ) -> Callable[[Any], tuple[np.ndarray, np.ndarray]]:
  """Loads the FID Inception-v3 and returns a feature function.

  Args:
    path: a ``.pth`` state dict (pytorch-fid / torch-fidelity; needs
      ``torch``) or an ``.npz`` converted from one (see the module
      docstring).
    batch_size: images per jitted call (:func:`apply_in_batches`: one batch
      of 299x299 inputs on the device at a time).

  Returns:
    ``features(images) -> (pool3 [N, 2048], logits [N, 1008])`` as float32
    numpy arrays, for ``images`` ``[N, H, W, C]`` in this library's ``[-1,
    1]`` range (``C`` = 1 is repeated to RGB; ``u = (x + 1) * 127.5`` gives
    8-bit-scale values, resized to 299x299 with :func:`resize_bilinear_tf1`
    and scaled by ``(u - 128) / 128`` as in the graph). The function has a
    ``fingerprint`` attribute, ``'inception_v3-<sha256 of the weights
    file>'``, that names its features in a cache
    (:func:`gengan_jax.evaluate.images.cached_features`).

  Raises:
    FileNotFoundError: when ``path`` does not exist, saying where to get it.
  """
  path = os.fspath(path)
  if not os.path.exists(path):
    raise FileNotFoundError(f"no Inception-v3 weights at {path!r}. {WEIGHTS_HELP}")
  if path.endswith(".npz"):
    with np.load(path) as f:
      state = {k: f[k] for k in f.files}
  else:
    try:
      import torch  # pylint: disable=g-import-not-at-top
    except ImportError as e:
      raise ImportError(f"reading {path!r} needs torch; or convert it to .npz on a "
                        f"machine with torch. {WEIGHTS_HELP}") from e
    state = torch.load(path, map_location="cpu", weights_only=True)
  variables = convert_torch_state_dict(state)
  net = InceptionV3()

  @jax.jit
  def apply(x):
    if x.shape[-1] == 1:
      x = jnp.repeat(x, 3, axis=-1)
    u = (x + 1.0) * 127.5
    u = resize_bilinear_tf1(u, INPUT_SIZE)
    return net.apply(variables, (u - 128.0) / 128.0)

  def features(images):
    x = np.asarray(images, np.float32)
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
      raise ValueError(f"`images` must be [N, H, W, 1 or 3] in [-1, 1], got {x.shape}.")
    return apply_in_batches(apply, x, batch_size)

  features.fingerprint = f"inception_v3-{file_fingerprint(path)}"
  return features


def _main(argv):
  if len(argv) != 4 or argv[1] != "convert":
    print("usage: python -m gengan_jax.metrics.inception convert <in.pth> <out.npz>")
    return 2
  import torch  # pylint: disable=g-import-not-at-top
  state = torch.load(argv[2], map_location="cpu", weights_only=True)
  convert_torch_state_dict(state)  # validates names and shapes
  np.savez(argv[3], **{k: v.numpy() for k, v in state.items()
                       if not k.endswith("num_batches_tracked")})
  print(f"wrote {argv[3]}")
  return 0


if __name__ == "__main__":
  sys.exit(_main(sys.argv))
