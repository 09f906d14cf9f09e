r"""beta-VAE: the VAE with the KL term weighted by ``beta > 1``.

Higgins, Matthey, Pal, Burgess, Glorot, Botvinick, Mohamed & Lerchner,
"beta-VAE: Learning basic visual concepts with a constrained variational
framework" (ICLR 2017), eq. (4):

.. math::

  \mathcal F(x) = \mathbb E_{q(z \mid x)}[\log p(x \mid z)]
                  - \beta\, \mathrm{KL}(q(z \mid x) \,\|\, p(z)),
  \qquad \beta > 1,

a Lagrangian of the reconstruction under a constraint on the KL to the
isotropic prior: a larger ``beta`` presses the codes towards ``N(0, I)``,
trading reconstruction (and likelihood: for ``beta > 1``, ``F`` is a
looser bound, ``F <= ELBO <= log p(x)``) for more factorised,
"disentangled" codes. The default ``beta = 4`` is the paper's
setting for its 2-D shapes (dSprites) results.

This is :mod:`.vae` with another default ``beta``: the same networks, step
and contract (``sample``, ``encode``, ``reconstruct``, ``posterior`` and
the importance-weighted lower bound ``log_likelihood``). Its ``elbo`` metric
is the true ELBO (``beta = 1``), ``loss`` the ``beta``-weighted objective.
With ``beta = 1`` it is the VAE, bit for bit (a test pins that). Hoffman &
Johnson's ELBO surgery (:mod:`gengan_jax.metrics.elbo_surgery`) shows where
the extra pressure goes: mostly into the index-code mutual information.
"""

from __future__ import annotations

import dataclasses

import jax

from gengan_jax.algorithms import vae
from gengan_jax.algorithms.vae import (State, encode, init, log_likelihood, log_likelihood_space,
                                       posterior, reconstruct, sample)


@dataclasses.dataclass(frozen=True)
class Config(vae.Config):
  """beta-VAE hyper-parameters: :class:`gengan_jax.algorithms.vae.Config` with ``beta = 4``.

  Attributes:
    beta: the KL weight, > 0 (the paper's range is ``beta > 1``; ``beta = 1``
      is the VAE).
  """

  beta: float = 4.0


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One joint step of encoder and decoder on ``-mean(log p(x | z) - beta KL)``.

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  return vae.train_step(state, batch, key, name="beta_vae")


__all__ = ["Config", "State", "encode", "init", "log_likelihood", "log_likelihood_space",
           "posterior", "reconstruct", "sample", "train_step"]
