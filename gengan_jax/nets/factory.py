"""Build a network by architecture name and data shape.

Algorithms and experiment configs name an architecture (``"mlp"`` or
``"dcgan"``) and the shape of one example; these functions return the
matching Flax module, so an algorithm never branches on the data.

=========  ==================  ==============================================
arch       data_shape          networks
=========  ==================  ==============================================
``mlp``    ``(D,)``            :class:`MLPGenerator`, :class:`MLPDiscriminator`,
                               :class:`MLPEncoder` (toy 2-D problems)
``dcgan``  ``(H, W, C)``,      :class:`DCGANGenerator`,
           ``H == W`` in       :class:`DCGANDiscriminator`,
           {28, 32, 64}        :class:`DCGANEncoder` (Radford et al. 2016)
=========  ==================  ==============================================

``maxout_mlp`` (``(D,)``) is the ALI and PacGAN 2-D networks, for the
generator, discriminator and encoder only: :class:`BatchNormMLPGenerator`,
:class:`MaxoutDiscriminator`, :class:`BatchNormMLPEncoder`.

``dcgan_tf`` and ``unrolled_gan`` (``(H, W, C)``, any sizes) are the
DCGAN-tensorflow networks of PacGAN's Stacked MNIST experiments, for the
generator, discriminator and encoder only:
:class:`~gengan_jax.nets.dcgan_tensorflow.TFDCGANGenerator`,
:class:`~gengan_jax.nets.dcgan_tensorflow.TFDCGANDiscriminator`,
:class:`~gengan_jax.nets.dcgan_tensorflow.TFDCGANEncoder`, with the layers
of :data:`gengan_jax.nets.dcgan_tensorflow.PRESETS` (``base_features`` is
``gf_dim`` of the generator, ``df_dim`` of the discriminator).

:func:`make_autoencoder` gives the auto-encoder discriminators of EBGAN and
BEGAN (:class:`MLPAutoEncoder`, :class:`DCGANAutoEncoder`);
:func:`make_gaussian_encoder` and :func:`make_decoder` the likelihood
family's ``q(z | x)`` and ``p(x | z)`` (:mod:`.likelihood_heads`).

Extra keyword arguments are forwarded to the module: ``hidden`` (and
``kernel_init``) for ``mlp``, ``base_features`` for ``dcgan``. Any other
keyword raises ``TypeError`` naming the accepted ones.
"""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Sequence
from typing import Any

import flax.linen as nn

from gengan_jax.nets import autoencoder
from gengan_jax.nets import batch_norm_mlp
from gengan_jax.nets import dcgan
from gengan_jax.nets import dcgan_tensorflow
from gengan_jax.nets import likelihood_heads
from gengan_jax.nets import maxout
from gengan_jax.nets import mlp

ARCHS: tuple[str, ...] = ("dcgan", "mlp")
# The ALI/PacGAN 2-D networks: batch-normalised ReLU MLP generator and encoder,
# maxout discriminator (:mod:`.batch_norm_mlp`, :mod:`.maxout`). Only
# make_generator, make_discriminator and make_encoder know it.
MAXOUT_MLP = "maxout_mlp"
# The DCGAN-tensorflow networks (:mod:`.dcgan_tensorflow`): only make_generator,
# make_discriminator and make_encoder know them.
TF_DCGAN_ARCHS: tuple[str, ...] = tuple(dcgan_tensorflow.PRESETS)


def _maxout_mlp_shape(data_shape: Any) -> tuple[int, ...]:
  try:
    shape = tuple(int(d) for d in data_shape)
  except TypeError:
    shape = ()
  if len(shape) != 1 or shape[0] < 1:
    raise ValueError(f"arch {MAXOUT_MLP!r} needs a rank-1 data_shape (D,), e.g. (2,); got "
                     f"data_shape={data_shape!r}.")
  return shape


def _tf_dcgan_shape(arch: str, data_shape: Any) -> tuple[int, int, int]:
  try:
    shape = tuple(int(d) for d in data_shape)
  except TypeError:
    shape = ()
  if len(shape) != 3 or min(shape) < 1:
    raise ValueError(f"arch {arch!r} needs data_shape (H, W, C) of positive sizes, e.g. "
                     f"(28, 28, 3); got data_shape={data_shape!r}.")
  return shape


def _data_shape(arch: str, data_shape: Any) -> tuple[int, ...]:
  """Validates ``data_shape`` for ``arch``; returns it as a tuple of ints."""
  if arch not in ARCHS:
    raise ValueError(
        f"unknown arch {arch!r} (data_shape={data_shape!r}); valid archs are "
        f"{ARCHS}: 'mlp' for data_shape (D,), 'dcgan' for (H, W, C) with "
        f"H == W in {dcgan.SUPPORTED_SIZES}."
    )
  try:
    shape = tuple(int(d) for d in data_shape)
  except TypeError:
    shape = None
  if arch == "mlp":
    if shape is None or len(shape) != 1 or shape[0] < 1:
      raise ValueError(
          f"arch 'mlp' needs a rank-1 data_shape (D,), e.g. (2,); got "
          f"data_shape={data_shape!r}. Use arch 'dcgan' for images (H, W, C) "
          f"with H == W in {dcgan.SUPPORTED_SIZES}."
      )
    return shape
  if (shape is None or len(shape) != 3 or shape[0] != shape[1]
      or shape[0] not in dcgan.SUPPORTED_SIZES or shape[2] < 1):
    raise ValueError(
        f"arch 'dcgan' needs data_shape (H, W, C) with H == W in "
        f"{dcgan.SUPPORTED_SIZES} and any channel count, e.g. (28, 28, 1) or "
        f"(32, 32, 3); got data_shape={data_shape!r}. Use arch 'mlp' for "
        "flat data (D,)."
    )
  return shape


def _check_latent_dim(latent_dim: Any) -> int:
  try:
    value = None if isinstance(latent_dim, bool) else operator.index(latent_dim)
  except TypeError:
    value = None
  if value is None or value < 1:
    raise ValueError(f"latent_dim must be a positive int; got {latent_dim!r}.")
  return value


def _build(cls: type[nn.Module], arch: str, fixed: dict[str, Any],
           kw: dict[str, Any]) -> nn.Module:
  """``cls(**fixed, **kw)``, rejecting keywords that ``cls`` does not take."""
  accepted = sorted(
      f.name for f in dataclasses.fields(cls)
      if f.init and f.name not in fixed and f.name not in ("parent", "name")
  )
  unknown = sorted(set(kw) - set(accepted))
  if unknown:
    raise TypeError(
        f"arch {arch!r} ({cls.__name__}) got unexpected keyword argument(s) "
        f"{unknown}; it accepts {accepted}."
    )
  return cls(**fixed, **kw)


def make_generator(arch: str, *, data_shape: Sequence[int], latent_dim: int,
                   **kw: Any) -> nn.Module:
  """Returns a generator ``z [B, latent_dim] -> x [B, *data_shape]``.

  Args:
    arch: ``"mlp"`` (:class:`MLPGenerator`) or ``"dcgan"``
      (:class:`DCGANGenerator`, tanh output in (-1, 1)).
    data_shape: shape of one example: ``(D,)`` for ``mlp``; ``(H, W, C)``
      with ``H == W`` in {28, 32, 64} for ``dcgan``.
    latent_dim: ``K``, the width of the latent codes (the modules infer it
      from their input; it is validated here).
    **kw: forwarded to the module (``hidden`` for ``mlp``, ``base_features``
      for ``dcgan``).

  Returns:
    An unbound Flax module with ``__call__(z, *, train)``.

  Raises:
    ValueError: unknown ``arch``, a ``data_shape`` it cannot handle, or a
      non-positive ``latent_dim``.
    TypeError: a keyword the module does not take.
  """
  if arch == MAXOUT_MLP:
    _check_latent_dim(latent_dim)
    return _build(batch_norm_mlp.BatchNormMLPGenerator, arch,
                  {"data_dim": _maxout_mlp_shape(data_shape)[0]}, kw)
  if arch in TF_DCGAN_ARCHS:
    _check_latent_dim(latent_dim)
    return _build(dcgan_tensorflow.TFDCGANGenerator, arch,
                  {"image_shape": _tf_dcgan_shape(arch, data_shape),
                   **dcgan_tensorflow.PRESETS[arch].generator_fields()}, kw)
  shape = _data_shape(arch, data_shape)
  _check_latent_dim(latent_dim)
  if arch == "mlp":
    return _build(mlp.MLPGenerator, arch, {"data_dim": shape[0]}, kw)
  return _build(dcgan.DCGANGenerator, arch, {"image_shape": shape}, kw)


def make_discriminator(arch: str, *, data_shape: Sequence[int],
                       use_batch_norm: bool = True, **kw: Any) -> nn.Module:
  """Returns a discriminator/critic ``x [B, *data_shape] -> logits [B]``.

  Args:
    arch: ``"mlp"`` (:class:`MLPDiscriminator`) or ``"dcgan"``
      (:class:`DCGANDiscriminator`).
    data_shape: shape of one example, as for :func:`make_generator`.
    use_batch_norm: batch norm in the ``dcgan`` discriminator; pass ``False``
      for WGAN-GP critics (Gulrajani et al. 2017) whose per-example gradient
      penalty is invalid with batch norm. Ignored for ``mlp``, which never
      uses batch norm.
    **kw: forwarded to the module (``hidden`` for ``mlp``, ``base_features``
      for ``dcgan``).

  Returns:
    An unbound Flax module with ``__call__(x, *, train)``.

  Raises:
    ValueError: unknown ``arch`` or a ``data_shape`` it cannot handle.
    TypeError: a keyword the module does not take.
  """
  if arch == MAXOUT_MLP:
    _maxout_mlp_shape(data_shape)
    return _build(maxout.MaxoutDiscriminator, arch, {}, kw)
  if arch in TF_DCGAN_ARCHS:
    return _build(dcgan_tensorflow.TFDCGANDiscriminator, arch,
                  {"image_shape": _tf_dcgan_shape(arch, data_shape),
                   "use_batch_norm": bool(use_batch_norm),
                   **dcgan_tensorflow.PRESETS[arch].discriminator_fields()}, kw)
  shape = _data_shape(arch, data_shape)
  if arch == "mlp":
    return _build(mlp.MLPDiscriminator, arch, {}, kw)
  return _build(dcgan.DCGANDiscriminator, arch,
                {"image_shape": shape, "use_batch_norm": bool(use_batch_norm)},
                kw)


def make_encoder(arch: str, *, data_shape: Sequence[int], latent_dim: int,
                 **kw: Any) -> nn.Module:
  """Returns an encoder ``x [B, *data_shape] -> codes [B, latent_dim]``.

  The output is linear; for a Gaussian encoder ask for ``2 * K`` and split.

  Args:
    arch: ``"mlp"`` (:class:`MLPEncoder`) or ``"dcgan"``
      (:class:`DCGANEncoder`).
    data_shape: shape of one example, as for :func:`make_generator`.
    latent_dim: width of the output codes.
    **kw: forwarded to the module (``hidden`` for ``mlp``, ``base_features``
      for ``dcgan``).

  Returns:
    An unbound Flax module with ``__call__(x, *, train)``.

  Raises:
    ValueError: unknown ``arch``, a ``data_shape`` it cannot handle, or a
      non-positive ``latent_dim``.
    TypeError: a keyword the module does not take.
  """
  if arch == MAXOUT_MLP:
    _maxout_mlp_shape(data_shape)
    return _build(batch_norm_mlp.BatchNormMLPEncoder, arch,
                  {"latent_dim": _check_latent_dim(latent_dim)}, kw)
  if arch in TF_DCGAN_ARCHS:
    return _build(dcgan_tensorflow.TFDCGANEncoder, arch,
                  {"image_shape": _tf_dcgan_shape(arch, data_shape),
                   "latent_dim": _check_latent_dim(latent_dim),
                   **dcgan_tensorflow.PRESETS[arch].discriminator_fields()}, kw)
  shape = _data_shape(arch, data_shape)
  latent_dim = _check_latent_dim(latent_dim)
  if arch == "mlp":
    return _build(mlp.MLPEncoder, arch, {"latent_dim": latent_dim}, kw)
  return _build(dcgan.DCGANEncoder, arch,
                {"image_shape": shape, "latent_dim": latent_dim}, kw)


def make_autoencoder(arch: str, *, data_shape: Sequence[int], code_dim: int,
                     use_batch_norm: bool = True, **kw: Any) -> nn.Module:
  """Returns an auto-encoder ``x [B, *data_shape] -> reconstruction`` (same shape).

  Called with ``return_code=True`` it returns ``(reconstruction, code
  [B, code_dim])``.

  Args:
    arch: ``"mlp"`` (:class:`MLPAutoEncoder`) or ``"dcgan"``
      (:class:`DCGANAutoEncoder`).
    data_shape: shape of one example, as for :func:`make_generator`.
    code_dim: width of the code between encoder and decoder.
    use_batch_norm: batch norm in the ``dcgan`` auto-encoder (``False``:
      BEGAN's discriminator). Ignored for ``mlp``, which never uses it.
    **kw: forwarded to the module (``hidden`` for ``mlp``; ``base_features``
      and ``output_activation`` for ``dcgan``).

  Returns:
    An unbound Flax module with ``__call__(x, *, train, return_code=False)``.

  Raises:
    ValueError: unknown ``arch``, a ``data_shape`` it cannot handle, or a
      non-positive ``code_dim``.
    TypeError: a keyword the module does not take.
  """
  shape = _data_shape(arch, data_shape)
  if isinstance(code_dim, bool) or not isinstance(code_dim, int) or code_dim < 1:
    raise ValueError(f"code_dim must be a positive int; got {code_dim!r}.")
  if arch == "mlp":
    return _build(autoencoder.MLPAutoEncoder, arch,
                  {"data_dim": shape[0], "code_dim": code_dim}, kw)
  return _build(autoencoder.DCGANAutoEncoder, arch,
                {"image_shape": shape, "code_dim": code_dim,
                 "use_batch_norm": bool(use_batch_norm)}, kw)


def _likelihood_shape(arch: str, data_shape: Any) -> tuple[int, ...]:
  """``data_shape`` validated for a likelihood-family network: ``mlp`` takes
  any shape (it flattens), ``dcgan`` images as for :func:`make_generator`."""
  if arch == "mlp":
    try:
      shape = tuple(int(d) for d in data_shape)
    except TypeError:
      shape = ()
    if not shape or min(shape) < 1:
      raise ValueError(f"arch 'mlp' needs a data_shape of positive sizes, e.g. (2,) or "
                       f"(28, 28, 1) (flattened); got data_shape={data_shape!r}.")
    return shape
  return _data_shape(arch, data_shape)


def make_gaussian_encoder(arch: str, *, data_shape: Sequence[int], latent_dim: int,
                          **kw: Any) -> likelihood_heads.GaussianEncoder:
  """Returns ``q(z | x)``: ``x [B, *data_shape] -> (mean, log_scale)``, each ``[B, latent_dim]``.

  The base is :func:`make_encoder` with ``2 * latent_dim`` linear outputs;
  ``mlp`` flattens images (the MLP encoders of Kingma & Welling 2014 and
  Burda et al. 2016 on MNIST).

  Args:
    arch, data_shape, ``**kw``: as for :func:`make_encoder` (``mlp`` takes any
      ``data_shape``).
    latent_dim: ``K``, the width of the codes.

  Raises:
    ValueError, TypeError: as for :func:`make_encoder`.
  """
  shape = _likelihood_shape(arch, data_shape)
  latent_dim = _check_latent_dim(latent_dim)
  flat = (math.prod(shape),) if arch == "mlp" else shape
  base = make_encoder(arch, data_shape=flat, latent_dim=2 * latent_dim, **kw)
  return likelihood_heads.GaussianEncoder(base=base, latent_dim=latent_dim,
                                          flatten=arch == "mlp")


def make_decoder(arch: str, *, data_shape: Sequence[int], latent_dim: int,
                 num_params: int = 1, **kw: Any) -> likelihood_heads.LikelihoodDecoder:
  """Returns ``p(x | z)``'s parameters: ``z [B, latent_dim] -> num_params x [B, *data_shape]``.

  The base is the architecture's generator with a linear output of
  ``num_params`` values per data dimension (:class:`MLPGenerator`, reshaped
  to ``data_shape``, any shape; or :class:`DCGANGenerator` without its tanh,
  the values stacked on the channel axis).

  Args:
    arch, data_shape, latent_dim, ``**kw``: as for :func:`make_generator`
      (``mlp`` takes any ``data_shape``).
    num_params: parameters per data dimension: 1 (Bernoulli logits; a
      Gaussian mean with a fixed scale) or 2 (a mean and a log scale).

  Raises:
    ValueError: as for :func:`make_generator`, or ``num_params`` not 1 or 2.
    TypeError: a keyword the base does not take.
  """
  if num_params not in (1, 2):
    raise ValueError(f"num_params={num_params!r} is invalid: valid values are 1 (logits, "
                     "or a mean with a fixed scale) and 2 (a mean and a log scale).")
  shape = _likelihood_shape(arch, data_shape)
  _check_latent_dim(latent_dim)
  if arch == "mlp":
    base = _build(mlp.MLPGenerator, arch, {"data_dim": num_params * math.prod(shape)}, kw)
  else:
    base = _build(dcgan.DCGANGenerator, arch,
                  {"image_shape": shape, "output_activation": None,
                   "out_channels_per_image_channel": num_params}, kw)
  return likelihood_heads.LikelihoodDecoder(base=base, data_shape=shape, num_params=num_params)


def make_real_nvp(arch: str, *, data_shape: Sequence[int], **kw: Any) -> nn.Module:
  """Returns a Real NVP flow on examples of ``data_shape`` (Dinh et al. 2017).

  ``mlp``: :class:`~gengan_jax.nets.real_nvp.RealNVP`, alternating masks and
  MLP coupling networks on the data flattened (any ``data_shape``; the toy
  2-D problems, a VAE's latent space); ``dcgan``:
  :class:`~gengan_jax.nets.real_nvp.MultiScaleRealNVP`, checkerboard and
  channel masks, squeeze and factoring out, conv coupling networks (images
  as for :func:`make_generator`).

  Args:
    arch: ``"mlp"`` or ``"dcgan"``.
    data_shape: shape of one example.
    **kw: forwarded to the module (``hidden``, ``num_couplings`` for
      ``mlp``; ``features``, ``num_blocks``, ``num_scales`` for ``dcgan``).

  Returns:
    An unbound Flax module with ``forward``, ``inverse``, ``log_prob``,
    ``sample`` and ``__call__(x, *, train) = log_prob(x)``.

  Raises:
    ValueError: unknown ``arch`` or a ``data_shape`` it cannot handle.
    TypeError: a keyword the module does not take.
  """
  from gengan_jax.nets import real_nvp  # pylint: disable=import-outside-toplevel
  shape = _likelihood_shape(arch, data_shape)
  if arch == "mlp":
    return _build(real_nvp.RealNVP, arch, {"data_shape": shape}, kw)
  return _build(real_nvp.MultiScaleRealNVP, arch, {"data_shape": shape}, kw)
