"""An implicit encoder ``z = E(x, eps)``: a sampler of ``q(z | x)`` without a density.

Adversarial Variational Bayes (Mescheder et al. 2017, Sec. 3 and Fig. 2b)
feeds noise ``eps`` into the encoder itself, so ``q(z | x)`` can be any
distribution the network can shape, not only a Gaussian. How the noise
enters, here and in the authors' code (LMescheder/AdversarialVariationalBayes):

* their MNIST encoders (``avb/avb/models/full0.py``, ``conv0.py``) add a
  learned linear map of ``eps`` to the input of every layer
  (``add_linear(eps, net)``); before a dense layer that is the same family as
  concatenating ``eps`` to that layer's input, which is what
  :class:`ImplicitEncoder` does: ``eps`` is concatenated to ``x``'s features
  and again to every hidden layer's output, up to the linear output ``z``;
* their toy encoder concatenates ``eps`` to ``x`` once, at the input.

For images (``arch='dcgan'``) ``x``'s features are the DCGAN encoder's
(:class:`~gengan_jax.nets.dcgan.DCGANEncoder`, conv stack and a linear layer
of ``hidden[0]`` units); the noise enters after it (the authors' ``conv0``
also adds it between the convolutions, which this does not).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from gengan_jax.nets import factory
from gengan_jax.nets import mlp


class ImplicitEncoder(nn.Module):
  """``(x [B, *data_shape], eps [B, E]) -> z [B, latent_dim]``.

  ``h_0`` = ``x`` flattened (or ``trunk(x)``); ``h_i = act(Dense([h_{i-1},
  eps]))`` for each hidden width; ``z = Dense([h_L, eps])`` (linear).

  Attributes:
    latent_dim: ``K``, the width of ``z``.
    hidden: widths of the hidden layers.
    activation: their activation (a name of :class:`~gengan_jax.nets.mlp.MLP`).
    trunk: ``x -> [B, F]`` features (an image encoder), or ``None``: ``x``
      flattened.
    kernel_init: initialiser of the Dense kernels.
  """

  latent_dim: int
  hidden: Sequence[int] = (128, 128, 128)
  activation: str = "relu"
  trunk: nn.Module | None = None
  kernel_init: mlp.Initializer = nn.initializers.lecun_normal()

  def __post_init__(self):
    object.__setattr__(self, "hidden", tuple(self.hidden))
    super().__post_init__()

  @nn.compact
  def __call__(self, inputs: tuple[jax.Array, jax.Array], *, train: bool) -> jax.Array:
    """Draws ``z ~ q(z | x)`` given the noise.

    Args:
      inputs: ``(x, eps)``: data ``[B, *data_shape]`` and noise ``[B, E]``
        (one argument, so that :func:`gengan_jax.core.train_state.create`
        initialises it from an example pair).
      train: batch statistics in the trunk (ignored without one).

    Returns:
      Codes ``[B, latent_dim]``.
    """
    x, eps = inputs
    if eps.ndim != 2 or eps.shape[0] != x.shape[0]:
      raise ValueError(f"ImplicitEncoder expects x [B, ...] and eps [B, E]; got shapes "
                       f"{tuple(x.shape)} and {tuple(eps.shape)}.")
    h = x.reshape(x.shape[0], -1) if self.trunk is None else self.trunk(x, train=train)
    act = mlp._activation(self.activation, "activation")  # pylint: disable=protected-access
    for i, width in enumerate(self.hidden):
      h = nn.Dense(width, kernel_init=self.kernel_init, name=f"hidden_{i}")(
          jnp.concatenate([h, eps], axis=-1))
      h = act(h)
    return nn.Dense(self.latent_dim, kernel_init=self.kernel_init, name="out")(
        jnp.concatenate([h, eps], axis=-1))


def make_implicit_encoder(arch: str, *, data_shape: Sequence[int], latent_dim: int,
                          hidden: Sequence[int], **kw: Any) -> ImplicitEncoder:
  """Returns ``E: (x, eps) -> z [B, latent_dim]`` for data shaped ``data_shape``.

  Args:
    arch: ``'mlp'`` (``x`` flattened, any ``data_shape``) or ``'dcgan'``
      (a :class:`~gengan_jax.nets.dcgan.DCGANEncoder` trunk of ``hidden[0]``
      features; images as :func:`~gengan_jax.nets.factory.make_encoder` takes).
    data_shape: the shape of one example.
    latent_dim: ``K``.
    hidden: the widths of the layers that see the noise.
    **kw: ``base_features`` for ``dcgan``; nothing for ``mlp``.

  Raises:
    ValueError: unknown ``arch``, or a ``data_shape`` it cannot handle.
    TypeError: a keyword the trunk does not take.
  """
  if arch == "mlp":
    if kw:
      raise TypeError(f"arch 'mlp' (ImplicitEncoder) got unexpected keyword argument(s) "
                      f"{sorted(kw)}; it accepts none besides hidden.")
    return ImplicitEncoder(latent_dim=latent_dim, hidden=hidden)
  trunk = factory.make_encoder(arch, data_shape=data_shape, latent_dim=hidden[0], **kw)
  return ImplicitEncoder(latent_dim=latent_dim, hidden=hidden, trunk=trunk)
