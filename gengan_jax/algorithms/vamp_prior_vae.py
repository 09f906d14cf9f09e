r"""A VAE whose prior is the VampPrior: its own posteriors at K learned pseudo-inputs.

Tomczak & Welling, "VAE with a VampPrior" (AISTATS 2018). The prior that
maximises the ELBO for a fixed encoder is the aggregate posterior
``q(z) = (1/N) sum_n q(z | x_n)`` (their eq. 7-8; Hoffman & Johnson 2016:
the "marginal KL" of the ELBO surgery is what ``N(0, I)`` pays for not being
it); it costs ``N`` encoder passes per evaluation and over-fits the training
set. The VampPrior (eq. 9) replaces the ``N`` data points by ``K`` learned
pseudo-inputs ``u_k``:

.. math::

  p_\lambda(z) = \frac1K \sum_{k=1}^K q_\phi(z \mid u_k),

a mixture of ``K`` Gaussians whose means and scales are the encoder's at the
pseudo-inputs (:func:`gengan_jax.losses.mixture.gaussian_mixture_log_likelihood`).
The encoder, the decoder and the pseudo-inputs ascend one objective in one
joint update (:func:`~gengan_jax.core.train_state.minimize_jointly`):

.. math::

  \mathcal L(x) = \mathbb E_{q_\phi(z \mid x)}\big[\log p_\theta(x \mid z)
                  + \log p_\lambda(z)\big] + \mathbb H[q_\phi(z \mid x)],

with one reparameterised draw and the Gaussian entropy in closed form, as in
:mod:`.flow_prior_vae` (the KL has no closed form: its one-draw estimate is
``log q(z|x) - log p_lambda(z)`` with ``E_q log q = -H[q]`` exact). The
encoder gets gradients through both its roles, posterior and prior.

**The pseudo-inputs** (:class:`gengan_jax.nets.pseudo_inputs.PseudoInputs`)
are their own network with their own ``TrainState`` (``prior``), not part of
the encoder's parameters: they are the prior's parameters ``lambda`` (the
state lists ``encoder``, ``decoder`` and ``prior`` as the flow-prior VAE
does, so checkpoints, diagnostics and the evaluation treat both learned
priors alike), the encoder stays the VAE's network (its parameter tree and
``posterior`` unchanged), and they keep their own optimizer state. As in the
reference code (``jmtomczak/vae_vampprior``, ``models/Model.py``), a point is
clipped to the data's range (their ``hardtanh(0, 1)`` of pixels, here
``[-1, 1]``) for the Bernoulli and logistic models, and unclipped for the
Gaussian one (their ``'continuous'`` input); it starts from ``N(-0.9,
0.02^2)`` per pixel, near-black images: the paper's ``N(0.05, 0.01^2)`` in
``[0, 1]`` units. (The code's default mean is ``-0.05``, which
``hardtanh(0, 1)`` maps to 0 with a zero gradient: the pseudo-inputs would
never move.) ``K = 500`` (``num_pseudo_inputs``) as in the paper's MNIST runs.

**Batch norm**: the encoder's pass at the pseudo-inputs runs in inference
mode (the running statistics, left unchanged), so ``p_lambda`` is one
density of the parameters, the same in training and in evaluation, and the
running statistics are the data's only. The MLP encoder has no batch norm.

One ``train_step``: binarise as the VAE does, then one joint step of the
three networks on ``-mean L(x)``. Metrics (nats): ``elbo``,
``reconstruction_log_likelihood``, ``kl`` (the one-draw estimate) and
``prior_log_prob`` (``mean log p_lambda(z)`` of the drawn codes).

The rest of the contract is the VAE's with the VampPrior in place of
``N(0, I)``: :func:`sample` decodes ``z ~ q(z | u_k)`` with ``k`` uniform;
:func:`log_likelihood` is the importance-weighted **lower bound** with
``k`` draws (default ``config.eval_importance_samples``); :func:`encode`,
:func:`reconstruct` and :func:`posterior` are the VAE's; :func:`log_prior`
is ``log p_lambda(z)``, for the evaluation's ELBO surgery;
:func:`pseudo_inputs` are the ``u_k`` (pictures).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from gengan_jax import losses
from gengan_jax.algorithms import vae
from gengan_jax.algorithms.flow_prior_vae import learned_prior_step
from gengan_jax.algorithms.vae import encode, log_likelihood_space, posterior, reconstruct
from gengan_jax.core import AlgorithmState, check, check_int
from gengan_jax.core import train_state as ts
from gengan_jax.losses.mixture import gaussian_mixture_log_likelihood
from gengan_jax.nets.pseudo_inputs import PseudoInputs


PSEUDO_INPUT_INITS = ("normal", "data")


@dataclasses.dataclass(frozen=True)
class Config(vae.BaseConfig):
  """VampPrior VAE hyper-parameters: :class:`~gengan_jax.algorithms.vae.BaseConfig`
  and the pseudo-inputs.

  Attributes:
    num_pseudo_inputs: ``K``, the mixture's components, >= 1 (500: Tomczak &
      Welling's MNIST setting).
    pseudo_input_init: where the pseudo-inputs start: ``"normal"``, from
      ``N(mean, std^2)`` per data dimension; ``"data"``, at the first
      training batch's examples (``u_k`` at example ``k mod B``, cycling
      through the batch when ``K > B``) plus ``N(0, std^2)`` noise, the mean
      unused: the reference code's ``--use_training_data_init`` (the first
      ``K`` training examples plus noise of std 0.01). On a mixture, points
      drawn from ``N(0, 1)`` start near its central modes and stay there (a
      pseudo-input moves towards the data near it, not across to modes
      without one), and each mode's share of the prior is its share of the
      ``u_k``; data start them on the modes in the data's proportions.
    pseudo_input_init_mean, pseudo_input_init_std: the normal start's
      ``N(mean, std^2)`` (std > 0), in the data's units: ``-0.9`` and
      ``0.02`` are the paper's 0.05 and 0.01 on ``[0, 1]`` pixels mapped to
      ``[-1, 1]``; the data start's noise is the std alone.
    optimizer: the optimizer of all three networks (one objective; each
      keeps its own optimizer state).
  """

  num_pseudo_inputs: int = 500
  pseudo_input_init: str = "normal"
  pseudo_input_init_mean: float = -0.9
  pseudo_input_init_std: float = 0.02

  def __post_init__(self):
    super().__post_init__()
    check_int("num_pseudo_inputs", self.num_pseudo_inputs, 1)
    check(self.pseudo_input_init in PSEUDO_INPUT_INITS, "pseudo_input_init",
          self.pseudo_input_init, f"one of {', '.join(PSEUDO_INPUT_INITS)}")
    check(self.pseudo_input_init_std > 0, "pseudo_input_init_std",
          self.pseudo_input_init_std, "> 0")


class State(AlgorithmState):
  """The encoder ``q(z | x)``, the decoder ``p(x | z)``, the pseudo-inputs of ``p_lambda(z)``."""

  encoder: ts.TrainState
  decoder: ts.TrainState
  prior: ts.TrainState


def pseudo_input_range(config: Config) -> tuple[float, float] | None:
  """Where the pseudo-inputs live: the data's ``[-1, 1]`` for the Bernoulli and
  logistic models (pixels), ``None`` (no clipping) for the Gaussian one."""
  return None if config.observation == "gaussian" else (-1.0, 1.0)


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the VAE's networks and ``K`` pseudo-inputs shaped like
  ``example_batch[0]`` (at its examples for ``pseudo_input_init="data"``)."""
  vae_key, p_key = jax.random.split(key)
  base = vae.init(vae_key, config, example_batch)
  from_data = config.pseudo_input_init == "data"
  net = PseudoInputs(num=config.num_pseudo_inputs, data_shape=tuple(example_batch.shape[1:]),
                     init_mean=0.0 if from_data else config.pseudo_input_init_mean,
                     init_std=config.pseudo_input_init_std,
                     value_range=pseudo_input_range(config))
  prior = ts.create(net, p_key, jnp.arange(config.num_pseudo_inputs), config.optimizer)
  if from_data:
    # The normal start's N(0, std^2) is the noise around the examples.
    rows = jnp.arange(config.num_pseudo_inputs) % example_batch.shape[0]
    params = {"pseudo_inputs": prior.params["pseudo_inputs"]
              + example_batch[rows].astype(prior.params["pseudo_inputs"].dtype)}
    prior = prior.replace(params=params, opt_state=prior.tx.init(params))
  return State(step=base.step, encoder=base.encoder, decoder=base.decoder, prior=prior,
               config=config)


def prior_components(encoder: vae.Encoder, pseudo_inputs: jax.Array
                     ) -> tuple[jax.Array, jax.Array]:
  """The VampPrior's components ``(mu(u_k), log sigma(u_k))``, each ``[K, M]``.

  Args:
    encoder: ``x -> (mean, log_scale)``, the encoder in inference mode.
    pseudo_inputs: ``[K, *data_shape]``.
  """
  return encoder(pseudo_inputs)


def _all(config: Config) -> jax.Array:
  return jnp.arange(config.num_pseudo_inputs)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One joint step of encoder, decoder and pseudo-inputs on ``-mean L(x)``
  (``flow_prior_vae.learned_prior_step`` with the VampPrior's density).

  Args:
    state: the current state.
    batch: data of shape ``[1, B, *data_shape]``.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config

  def log_prior(n, z):
    # The same encoder parameters (differentiated), in inference mode.
    encoder_at_u = ts.Net(state.encoder, n["encoder"].params, train=False)
    return gaussian_mixture_log_likelihood(
        z, *prior_components(encoder_at_u, n["prior"](_all(cfg))))

  return learned_prior_step(state, batch, key, "vamp_prior_vae", log_prior)


def pseudo_inputs(state: State) -> jax.Array:
  """The ``K`` pseudo-inputs ``u_k``, ``[K, *data_shape]`` (in the data's range)."""
  return ts.forward(state.prior, _all(state.config), train=False)


def _components(state: State) -> tuple[jax.Array, jax.Array]:
  encoder = lambda u: ts.forward(state.encoder, u, train=False)  # noqa: E731
  return prior_components(encoder, pseudo_inputs(state))


def sample_prior(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` codes from ``p_lambda``: ``k`` uniform in ``[0, K)``, then
  ``z ~ q(z | u_k)``: ``[num, M]``."""
  k_key, z_key = jax.random.split(key)
  means, log_scales = _components(state)
  k = jax.random.randint(k_key, (num,), 0, state.config.num_pseudo_inputs)
  return losses.gaussian_sample(z_key, means[k], log_scales[k])


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` samples: codes from the VampPrior decoded, then :func:`vae.draw`."""
  return vae.sample_from_prior(state, key, num, sample_prior)


def log_prior(state: State, z: jax.Array) -> jax.Array:
  """``log p_lambda(z)`` of the VampPrior, ``[B, M] -> [B]`` (nats); the
  evaluation's ELBO surgery measures the KL to this prior."""
  return gaussian_mixture_log_likelihood(z, *_components(state))


def log_likelihood(state: State, x: jax.Array, key: jax.Array, *,
                   num_samples: int | None = None) -> jax.Array:
  """A lower bound on ``log p(x)``: the importance-weighted bound ``L_k`` with
  the VampPrior, per example ``[B]`` (nats); see :func:`vae.log_likelihood`.
  The components are computed once for all draws."""
  means, log_scales = _components(state)
  return vae.chunked_importance_weighted_bound(
      state, x, key, num_samples=num_samples,
      log_prior=lambda z: gaussian_mixture_log_likelihood(z, means, log_scales))


__all__ = ["Config", "State", "encode", "init", "log_likelihood", "log_likelihood_space",
           "log_prior", "posterior", "prior_components", "pseudo_input_range", "pseudo_inputs",
           "reconstruct", "sample", "sample_prior", "train_step"]
