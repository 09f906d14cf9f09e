"""A discriminator of pairs ``(x, z)``: data and code scored together.

The adversarial hybrids that match joint distributions over data and codes
score a pair, not an example:

* ALI and BiGAN's ``D(x, z)`` tells ``(x, E(x))`` from ``(G(z), z)``
  (Dumoulin et al. 2017; Donahue et al. 2017);
* VEEGAN's ``D(z, x)`` tells ``(z, G(z))`` from ``(F(x), x)`` (Srivastava
  et al. 2017);
* Adversarial Variational Bayes trains ``T(x, z)`` to tell
  ``(x, z ~ q(z | x))`` from ``(x, z ~ p(z))``; its optimum is the log
  density ratio ``log q(z | x) - log p(z)`` (Mescheder et al. 2017, eq. 3.4).

:class:`JointDiscriminator` is that network, one logit (or score) per pair:

* ``image_shape=None`` (vector data, or images flattened): ``x`` flattened,
  concatenated with ``z``, then a fully connected head -- the networks of
  the papers' 2-D experiments (the VEEGAN authors' ring code:
  ``concat(x, z)``, one ReLU layer of 128 units, a linear logit; the AVB
  authors' toy adversary, with ELU and residual blocks; their MNIST
  adversary combines MLPs on ``x`` and on ``z`` by an inner product, which a
  wide enough MLP on the concatenation can represent);
* ``image_shape`` given: the DCGAN discriminator's conv stack on ``x``
  (4x4 stride-2 convs, leaky ReLU 0.2; Radford et al. 2016), flattened,
  concatenated with ``z``, then the same head. This is a small stand-in for
  ALI's three-part discriminator (``D(x)`` convs, ``D(z)`` 1x1 convs,
  ``D(x, z)`` 1x1 convs over their concatenation): ``z`` enters the head
  unprocessed.

The pair is one argument, ``module.apply(variables, (x, z), train=...)``, so
the network is created, applied and updated by the same helpers as every
other one (:func:`gengan_jax.core.train_state.create`, ``forward``,
``minimize``); :func:`make_joint_discriminator` picks the form by
architecture name, as :mod:`gengan_jax.nets.factory` does for the other
networks.

Batch norm is off by default (each logit depends only on its own pair, as a
density-ratio estimate or a gradient penalty wants). Dropout is optional and
off by default (ALI's mixture discriminator drops 20% of its inputs and 50%
of its hidden units): with a rate > 0 and ``train=True`` the caller passes
``rngs={'dropout': key}``. Without dropout the head is exactly
:class:`~gengan_jax.nets.mlp.MLP` (same layers, names and initialisation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from gengan_jax.nets import dcgan
from gengan_jax.nets import factory
from gengan_jax.nets import mlp


class _Head(nn.Module):
  """The head: :class:`~gengan_jax.nets.mlp.MLP`'s layers (``hidden_i``,
  ``out``; one squeezed logit) with dropout before every layer but the
  first (the first's input dropout is the caller's)."""

  hidden: tuple[int, ...]
  activation: str
  dropout: float
  kernel_init: mlp.Initializer

  @nn.compact
  def __call__(self, h: jax.Array, *, train: bool) -> jax.Array:
    act = mlp._activation(self.activation, "activation")  # pylint: disable=protected-access
    for i, width in enumerate(self.hidden):
      if i > 0:
        h = nn.Dropout(self.dropout, deterministic=not train)(h)
      h = act(nn.Dense(width, kernel_init=self.kernel_init, name=f"hidden_{i}")(h))
    if self.hidden:
      h = nn.Dropout(self.dropout, deterministic=not train)(h)
    return nn.Dense(1, kernel_init=self.kernel_init, name="out")(h)[:, 0]


class JointDiscriminator(nn.Module):
  """``(x [B, *data_shape], z [B, K]) -> logits [B]``.

  ``x`` is flattened (``image_shape=None``) or passed through the DCGAN conv
  stack (``image_shape`` given), concatenated with ``z``, then
  ``Dropout(input_dropout)`` and the head: ``Dense -> act`` for each hidden
  width, then ``Dense(1)``, with ``Dropout(dropout)`` before every Dense
  after the first.

  Attributes:
    hidden: widths of the head's hidden layers (may be empty: a linear
      logit of the concatenation).
    activation: the head's hidden activation (a name of
      :class:`~gengan_jax.nets.mlp.MLP`'s: ``'relu'``, ``'leaky_relu'``
      (slope 0.2), ``'elu'``, ...).
    kernel_init: initialiser of the head's Dense kernels (the conv stack
      keeps DCGAN's N(0, 0.02)).
    image_shape: ``(H, W, C)`` with ``H == W`` in {28, 32, 64} for the conv
      stack; ``None`` to flatten ``x``.
    base_features: ``b``, the width of the first conv layer (images only).
    use_batch_norm: batch norm in the conv stack (images only; off by
      default: per-pair logits).
    input_dropout: dropout rate on the concatenation ``(x features, z)``.
    dropout: dropout rate on the inputs of the head's later layers.
  """

  hidden: Sequence[int] = (256, 256)
  activation: str = "leaky_relu"
  kernel_init: mlp.Initializer = nn.initializers.lecun_normal()
  image_shape: tuple[int, int, int] | None = None
  base_features: int = 64
  use_batch_norm: bool = False
  input_dropout: float = 0.0
  dropout: float = 0.0

  def __post_init__(self):
    object.__setattr__(self, "hidden", tuple(self.hidden))
    if any(h < 1 for h in self.hidden):
      raise ValueError(f"JointDiscriminator: hidden={self.hidden} must hold positive widths.")
    if self.image_shape is not None:
      dcgan._normalise_image_shape(self)  # pylint: disable=protected-access
    mlp._activation(self.activation, "activation")  # pylint: disable=protected-access
    for name in ("input_dropout", "dropout"):
      rate = getattr(self, name)
      if not 0.0 <= rate < 1.0:
        raise ValueError(f"JointDiscriminator: {name}={rate!r} must be in [0, 1).")
    super().__post_init__()

  @nn.compact
  def __call__(self, inputs: tuple[jax.Array, jax.Array], *, train: bool) -> jax.Array:
    """Scores pairs.

    Args:
      inputs: ``(x, z)``: data ``[B, *data_shape]`` (``[B, H, W, C]``
        matching ``image_shape`` when it is set) and codes ``[B, K]`` (one
        argument, so that :func:`gengan_jax.core.train_state.create`
        initialises it from an example pair).
      train: batch statistics and dropout on (``True``; pass
        ``mutable=["batch_stats"]`` with batch norm and
        ``rngs={'dropout': key}`` with dropout) or off (``False``).

    Returns:
      Logits (or critic scores), ``[B]``.
    """
    x, z = inputs
    if z.ndim != 2 or x.ndim < 2 or x.shape[0] != z.shape[0]:
      raise ValueError(
          f"JointDiscriminator expects a pair (x [B, ...], z [B, K]) with the same B; got "
          f"shapes {tuple(x.shape)} and {tuple(z.shape)}.")
    if self.image_shape is None:
      h = x.reshape(x.shape[0], -1)
    else:
      # pylint: disable-next=protected-access
      dcgan._check_input(x, self.image_shape, "JointDiscriminator")
      # pylint: disable-next=protected-access
      h = dcgan._conv_stack(x, self.image_shape, self.base_features,
                            use_batch_norm=self.use_batch_norm, train=train)
      h = h.reshape(h.shape[0], -1)
    h = jnp.concatenate([h, z.astype(h.dtype)], axis=-1)
    h = nn.Dropout(self.input_dropout, deterministic=not train)(h)
    return _Head(self.hidden, self.activation, self.dropout, self.kernel_init,
                 name="mlp")(h, train=train)


def make_joint_discriminator(arch: str, *, data_shape: Sequence[int], hidden: Sequence[int],
                             base_features: int = 64, **kw: Any) -> JointDiscriminator:
  """Returns ``D: (x [B, *data_shape], z [B, K]) -> logits [B]`` for an architecture.

  Args:
    arch: ``"mlp"`` (``x`` flattened: any ``data_shape``) or ``"dcgan"``
      (the conv stack: ``(H, W, C)`` with ``H == W`` in {28, 32, 64}).
    data_shape: shape of one example.
    hidden: widths of the head.
    base_features: the conv stack's ``b`` (``dcgan``; ignored for ``mlp``).
    **kw: forwarded to :class:`JointDiscriminator` (``activation``,
      ``kernel_init``, ``use_batch_norm``, ``input_dropout``, ``dropout``).

  Raises:
    ValueError: unknown ``arch`` or a ``data_shape`` it cannot handle.
    TypeError: a keyword the module does not take.
  """
  shape = factory._likelihood_shape(arch, data_shape)  # pylint: disable=protected-access
  fixed: dict[str, Any] = {"hidden": tuple(hidden)}
  if arch == "dcgan":
    fixed.update(image_shape=shape, base_features=base_features)
  else:
    fixed["image_shape"] = None
  return factory._build(JointDiscriminator, arch, fixed, kw)  # pylint: disable=protected-access
