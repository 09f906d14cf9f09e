"""Discriminators with InfoGAN's Q head on a shared trunk.

Chen et al. (2016), "InfoGAN", Sec. 6: "we parametrize the auxiliary
distribution Q as a neural network. In most experiments, Q and D share all
convolutional layers and there is one final fully connected layer to output
parameters for the conditional distribution Q(c|x)". The authors' MNIST
network (``infogan/models/regularized_gan.py``) shares conv 64 - conv 128
(BN) - FC 1024 (BN) between D and Q, then D is one dense unit and Q is
FC 128 (BN, leaky ReLU) followed by a dense layer of Q's parameters.

Each module here returns ``(logits [B], q [B, q_dim])`` from one trunk:

* :class:`MLPInfoDiscriminator` -- the MLP discriminator's ReLU trunk
  (:class:`~gengan_jax.nets.mlp.MLP` hidden layers) for vector data;
* :class:`DCGANInfoDiscriminator` -- the DCGAN discriminator's conv stack
  (:mod:`gengan_jax.nets.dcgan`) for images.

Both take ``shared_dense`` (an extra dense layer at the end of the shared
trunk: the authors' FC 1024; 0 for none) and ``q_hidden`` (the widths of
Q's own hidden layers: the authors' 128). ``q`` is the raw output (logits of
the categorical codes, then the continuous codes' means and, where learned,
log standard deviations); how it splits is the algorithm's business
(:mod:`gengan_jax.algorithms.infogan`). :func:`make_info_discriminator`
picks one by architecture name, as :mod:`gengan_jax.nets.factory` does for
the other networks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax

from gengan_jax.nets import dcgan
from gengan_jax.nets import factory
from gengan_jax.nets import mlp


def _check_dims(module: nn.Module) -> None:
  if module.q_dim < 1:
    raise ValueError(f"{type(module).__name__}: q_dim={module.q_dim} must be >= 1.")
  if module.shared_dense < 0:
    raise ValueError(f"{type(module).__name__}: shared_dense={module.shared_dense} must be "
                     ">= 0 (0: no shared dense layer).")
  object.__setattr__(module, "q_hidden", tuple(module.q_hidden))
  if any(h < 1 for h in module.q_hidden):
    raise ValueError(f"{type(module).__name__}: q_hidden={module.q_hidden} must hold "
                     "positive widths.")


class MLPInfoDiscriminator(nn.Module):
  """``x [B, D] -> (logits [B], q [B, q_dim])``: one ReLU trunk, two heads.

  The trunk is the :class:`~gengan_jax.nets.mlp.MLPDiscriminator`'s hidden
  layers (plus ``shared_dense`` units if > 0); D's head is one dense unit,
  Q's is ``q_hidden`` ReLU layers and a dense layer of width ``q_dim``. No
  batch norm (``train`` is accepted and ignored).

  Attributes:
    q_dim: width of Q's output.
    hidden: widths of the trunk's ReLU layers.
    shared_dense: width of an extra shared dense layer (0: none).
    q_hidden: widths of Q's own hidden layers (may be empty).
    kernel_init: initialiser of the Dense kernels.
  """

  q_dim: int
  hidden: Sequence[int] = (128, 128, 128)
  shared_dense: int = 0
  q_hidden: Sequence[int] = (128,)
  kernel_init: mlp.Initializer = nn.initializers.lecun_normal()

  def __post_init__(self):
    object.__setattr__(self, "hidden", tuple(self.hidden))
    _check_dims(self)
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> tuple[jax.Array, jax.Array]:
    """Returns D's logits ``[B]`` and Q's raw outputs ``[B, q_dim]``."""
    del train  # No batch norm.
    mlp._check_rank2(x, type(self).__name__)  # pylint: disable=protected-access
    widths = self.hidden + ((self.shared_dense,) if self.shared_dense else ())
    for i, width in enumerate(widths):
      x = nn.relu(nn.Dense(width, kernel_init=self.kernel_init, name=f"trunk_{i}")(x))
    logits = nn.Dense(1, kernel_init=self.kernel_init, name="d_out")(x)[:, 0]
    q = x
    for i, width in enumerate(self.q_hidden):
      q = nn.relu(nn.Dense(width, kernel_init=self.kernel_init, name=f"q_hidden_{i}")(q))
    q = nn.Dense(self.q_dim, kernel_init=self.kernel_init, name="q_out")(q)
    return logits, q


class DCGANInfoDiscriminator(nn.Module):
  """``images [B, H, W, C] -> (logits [B], q [B, q_dim])`` with a shared conv trunk.

  The trunk is the DCGAN discriminator's conv stack (4x4 stride-2 convs,
  leaky ReLU 0.2, batch norm after every conv but the first; Radford et al.
  2016), flattened, then ``shared_dense`` units (batch norm, leaky ReLU) if
  > 0. D's head is one dense unit (as
  :class:`~gengan_jax.nets.dcgan.DCGANDiscriminator`); Q's head is ``q_hidden`` dense layers with batch norm
  and leaky ReLU, then a dense layer of width ``q_dim`` (the authors' MNIST
  Q: FC 128 - BN - lReLU - FC). With ``base_features=64``, ``shared_dense=
  1024`` and ``q_hidden=(128,)`` on 28x28 images this is the authors' MNIST
  discriminator and recognition network.

  Attributes:
    image_shape: ``(H, W, C)`` with ``H == W`` in {28, 32, 64}.
    q_dim: width of Q's output.
    base_features: ``b``, the width of the first conv layer.
    use_batch_norm: batch norm in the trunk and Q's hidden layers.
    shared_dense: width of a shared dense layer after the convs (0: none).
    q_hidden: widths of Q's own hidden layers (may be empty).
  """

  image_shape: tuple[int, int, int]
  q_dim: int
  base_features: int = 64
  use_batch_norm: bool = True
  shared_dense: int = 0
  q_hidden: Sequence[int] = (128,)

  def __post_init__(self):
    dcgan._normalise_image_shape(self)  # pylint: disable=protected-access
    _check_dims(self)
    super().__post_init__()

  def _dense_block(self, x, width, name, train):
    x = nn.Dense(width, use_bias=not self.use_batch_norm, kernel_init=dcgan._KERNEL_INIT,  # pylint: disable=protected-access
                 name=name)(x)
    if self.use_batch_norm:
      x = dcgan._batch_norm(train, f"{name}_bn")(x)  # pylint: disable=protected-access
    return nn.leaky_relu(x, negative_slope=0.2)

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> tuple[jax.Array, jax.Array]:
    """Returns D's logits ``[B]`` and Q's raw outputs ``[B, q_dim]``.

    ``train`` selects batch statistics (``True``, with
    ``mutable=["batch_stats"]``) or running averages (``False``).
    """
    dcgan._check_input(x, self.image_shape, "DCGANInfoDiscriminator")  # pylint: disable=protected-access
    x = dcgan._conv_stack(x, self.image_shape, self.base_features,  # pylint: disable=protected-access
                          use_batch_norm=self.use_batch_norm, train=train)
    x = x.reshape(x.shape[0], -1)
    if self.shared_dense:
      x = self._dense_block(x, self.shared_dense, "shared_dense", train)
    logits = nn.Dense(1, kernel_init=dcgan._KERNEL_INIT, name="d_out")(x)[:, 0]  # pylint: disable=protected-access
    q = x
    for i, width in enumerate(self.q_hidden):
      q = self._dense_block(q, width, f"q_hidden_{i}", train)
    q = nn.Dense(self.q_dim, kernel_init=dcgan._KERNEL_INIT, name="q_out")(q)  # pylint: disable=protected-access
    return logits, q


def make_info_discriminator(arch: str, *, data_shape: Sequence[int], q_dim: int,
                            use_batch_norm: bool = True, **kw: Any) -> nn.Module:
  """Returns a D/Q network ``x [B, *data_shape] -> (logits [B], q [B, q_dim])``.

  Args:
    arch: ``"mlp"`` (:class:`MLPInfoDiscriminator`) or ``"dcgan"``
      (:class:`DCGANInfoDiscriminator`).
    data_shape: shape of one example: ``(D,)`` for ``mlp``; ``(H, W, C)``
      with ``H == W`` in {28, 32, 64} for ``dcgan``.
    q_dim: width of Q's output.
    use_batch_norm: batch norm in the ``dcgan`` network (ignored for ``mlp``).
    **kw: forwarded to the module (``hidden`` for ``mlp``,
      ``base_features`` for ``dcgan``; ``shared_dense``, ``q_hidden`` for both).

  Raises:
    ValueError: unknown ``arch`` or a ``data_shape`` it cannot handle.
    TypeError: a keyword the module does not take.
  """
  shape = factory._data_shape(arch, data_shape)  # pylint: disable=protected-access
  if arch == "mlp":
    return factory._build(MLPInfoDiscriminator, arch, {"q_dim": q_dim}, kw)  # pylint: disable=protected-access
  return factory._build(DCGANInfoDiscriminator, arch,  # pylint: disable=protected-access
                        {"image_shape": shape, "q_dim": q_dim,
                         "use_batch_norm": bool(use_batch_norm)}, kw)
