r"""AVB: a VAE whose encoder is a sampler, its KL estimated by an adversary.

Mescheder, Nowozin & Geiger, "Adversarial Variational Bayes: Unifying
Variational Autoencoders and Generative Adversarial Networks" (ICML 2017,
arXiv:1701.04722), Algorithm 1. Three networks:

* the **encoder** ``z = E(x, eps)``, ``eps ~ N(0, I)`` of width
  ``noise_dim``: an implicit ``q(z | x)`` that can be sampled but has no
  density (:class:`~gengan_jax.nets.ImplicitEncoder`: ``eps`` concatenated
  to ``x``'s features and to every hidden layer's input, as the linear noise
  maps of the authors' MNIST encoders; see that module);
* the **decoder** ``p(x | z)``, the VAE's likelihood decoder and observation
  model (:mod:`.vae`, :mod:`.observation`), so the objective is on the same
  scale as the VAE's ELBO;
* the **adversary** ``T(x, z)`` (:class:`~gengan_jax.nets.JointDiscriminator`:
  an MLP on ``[flatten(x), z]`` for vector data; for images the DCGAN conv
  stack's features of ``x`` concatenated with ``z``, then the MLP; no batch
  norm, so each ``T`` is a function of its own pair).

The adversary is trained with the logistic loss to tell pairs with codes
from the encoder from pairs with codes from the prior (eq. 3.3),

.. math::

  \max_T\; \mathbb E_{p_D(x)} \mathbb E_{q(z \mid x)} \log \sigma(T(x, z))
          + \mathbb E_{p_D(x)} \mathbb E_{p(z)} \log(1 - \sigma(T(x, z))),

whose optimum is ``T*(x, z) = log q(z | x) - log p(z)`` (eq. 3.4,
Proposition 1); so ``E_q[T*]`` is ``KL(q(z | x) || p(z))`` and the encoder
and decoder ascend the ELBO with ``T`` in the KL's place (eq. 3.6/3.7),

.. math::

  \max_{\theta, \phi}\; \mathbb E_{p_D(x)} \mathbb E_{\epsilon}
      \bigl[-T(x, z_\phi(x, \epsilon)) + \log p_\theta(x \mid z_\phi(x, \epsilon))\bigr],

reparameterised: the gradient reaches the encoder through ``z`` in both
terms (Proposition 2: ``T*``'s own dependence on ``phi`` has zero expected
gradient).

One ``train_step`` is one iteration of Algorithm 1: draw ``eps`` and
``z ~ p(z)``; the adversary's step on eq. 3.3 and one joint step of the
encoder and the decoder on ``-mean(log p(x | z) - T(x, z))``, both at the
current parameters (the algorithm's simultaneous updates; the authors' code
applies both gradients at once too). With ``adversary_updates = k > 1`` the
adversary takes ``k`` steps in a row, each on its own data batch with its
own ``eps`` and prior draws and the encoder's codes at the step's start
parameters (the authors' toy notebook, ``notebooks/AVB_toy_example.ipynb``,
runs two adversary steps per primal one); the encoder and decoder still
step once, on the first batch, against ``T`` as it was at the step's start.
Metrics (nats per example):
``loss`` (the objective the encoder and decoder descend),
``elbo_estimate`` (``log p(x | z) - T``: the ELBO with ``T`` for the KL),
``reconstruction_log_likelihood``, ``kl_estimate`` (``mean T`` on the
encoder's pairs) and ``adversary_loss`` (of the step's last adversary
update).

Left out: **adaptive contrast** (Sec. 4: the adversary compares ``q`` with a
Gaussian fitted to its moments instead of with the prior; it needs the
encoder to output those moments and changes the objective's terms, more than
a small option); the authors' ``T += ||z||^2 / 2`` (their code's analytic
prior term) -- ``T`` here is the plain network of Algorithm 1.
There is no ``log_likelihood``: the importance-weighted bound needs
``log q(z | x)`` at the drawn codes, which an implicit encoder does not give
(``T`` estimates only the ratio ``q / p``, and a bound with an estimated
``log q`` is neither a bound nor exact); the authors evaluate with annealed
importance sampling on the decoder alone, which this library does not have.

The rest of the contract: :func:`sample` decodes ``z ~ N(0, I)`` and draws
as the VAE does (:func:`.vae.draw`); :func:`encode` is the encoder's code at
the noise's mean ``eps = 0`` (one point of ``q(z | x)``, not its mean;
:func:`posterior_mean` estimates the mean by averaging draws);
:func:`reconstruct` the mean of ``p(x | z = encode(x))``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp

from gengan_jax import losses, nets
from gengan_jax.algorithms import networks
from gengan_jax.algorithms import observation as observation_settings
from gengan_jax.algorithms import vae
from gengan_jax.algorithms.architecture import ArchitectureConfig
from gengan_jax.core import check_widths
from gengan_jax.core import AlgorithmState, OptimizerConfig, check_int, expect_batches
from gengan_jax.core import train_state as ts
from gengan_jax.core.keys import gaussian_prior, per_update, step_keys

Sampler = Callable[[tuple[jax.Array, jax.Array]], jax.Array]
Decoder = Callable[[jax.Array], tuple[jax.Array, ...]]
Adversary = Callable[[tuple[jax.Array, jax.Array]], jax.Array]
LogLikelihood = Callable[[jax.Array, tuple[jax.Array, ...]], jax.Array]


@dataclasses.dataclass(frozen=True)
class Config(ArchitectureConfig):
  """AVB hyper-parameters.

  Attributes:
    noise_dim: width of the encoder's noise ``eps`` (32 in the authors' MNIST
      runs).
    adversary_hidden: hidden widths of ``T``'s MLP (the authors' toy
      adversary is 256 wide; their MNIST one 3 x 1024 per branch).
    observation, fixed_log_scale, binarization: the decoder's observation
      model, as for the VAE (:class:`.vae.BaseConfig`).
    encoder_optimizer, decoder_optimizer: the two networks that ascend eq.
      3.7 together (Adam 5e-5, beta1 0.5: the authors' MNIST runs).
    adversary_optimizer: ``T``'s (Adam 1e-4, beta1 0.5: theirs).
    adversary_updates: ``T``'s updates per iteration, each on its own data
      batch (1: Algorithm 1; the authors' toy notebook takes 2). ``T``'s
      learning-rate schedule counts every update, so its ``hold_steps`` and
      ``decay_steps`` are this many times the training steps they span.
  """

  noise_dim: int = 32
  adversary_hidden: tuple[int, ...] = (256, 256)
  observation: str = "gaussian"
  fixed_log_scale: float | None = None
  binarization: str = "none"
  encoder_optimizer: OptimizerConfig = OptimizerConfig(5e-5, 0.5, 0.999)
  decoder_optimizer: OptimizerConfig = OptimizerConfig(5e-5, 0.5, 0.999)
  adversary_optimizer: OptimizerConfig = OptimizerConfig(1e-4, 0.5, 0.999)
  adversary_updates: int = 1

  def __post_init__(self):
    super().__post_init__()
    observation_settings.check_settings(self)
    check_int("noise_dim", self.noise_dim, 1)
    check_int("adversary_updates", self.adversary_updates, 1)
    check_widths("adversary_hidden", self.adversary_hidden)


class State(AlgorithmState):
  """The encoder ``E(x, eps)``, the decoder ``p(x | z)``, the adversary ``T(x, z)``."""

  encoder: ts.TrainState
  decoder: ts.TrainState
  adversary: ts.TrainState


def num_batches(config: Config) -> int:
  """Data batches consumed by one ``train_step``: one per adversary update."""
  return config.adversary_updates


def init(key: jax.Array, config: Config, example_batch: jax.Array) -> State:
  """Initialises the three networks for data shaped like ``example_batch[0]``."""
  e_key, d_key, t_key = jax.random.split(key, 3)
  b = example_batch.shape[0]
  encoder = nets.make_implicit_encoder(
      config.arch, data_shape=example_batch.shape[1:], latent_dim=config.latent_dim,
      hidden=config.hidden,
      **({} if config.arch == "mlp" else {"base_features": config.base_features}))
  eps = jnp.zeros((b, config.noise_dim))
  return State(
      step=jnp.zeros((), jnp.int32),
      encoder=ts.create(encoder, e_key, (example_batch, eps), config.encoder_optimizer),
      decoder=networks.decoder(config, d_key, example_batch, config.decoder_optimizer,
                               num_params=vae.observation(config).num_params),
      adversary=networks.joint_discriminator(config, t_key, example_batch,
                                             config.adversary_optimizer,
                                             hidden=config.adversary_hidden),
      config=config)


def avb_terms(encoder: Sampler, decoder: Decoder, adversary: Adversary,
              log_likelihood: LogLikelihood, x: jax.Array,
              eps: jax.Array) -> tuple[jax.Array, jax.Array]:
  r"""Eq. 3.7's two terms, per example: ``(log p(x | z), T(x, z))``, ``z = E(x, eps)``.

  .. math::

    \log p_\theta(x \mid z) - T(x, z), \quad z = z_\phi(x, \epsilon)

  is the objective the encoder and decoder ascend; with the optimal
  ``T* = log q(z | x) - log p(z)`` it is the one-draw ELBO
  ``log p(x | z) + log p(z) - log q(z | x)``.

  Args:
    encoder: ``(x, eps) -> z [B, K]``.
    decoder: ``z -> params`` of the observation model.
    adversary: ``(x, z) -> T [B]``.
    log_likelihood: ``(x, params) -> log p(x | z) [B]``.
    x: ``[B, ...]`` data.
    eps: ``[B, E]`` the encoder's noise.

  Returns:
    ``(reconstruction [B], T [B])``, nats; the objective is their difference.
  """
  z = encoder((x, eps))
  return log_likelihood(x, decoder(z)), adversary((x, z))


def adversary_loss(t_posterior: jax.Array, t_prior: jax.Array) -> jax.Array:
  """Eq. 3.3 negated, per pair: ``-log sigma(T(x, z_q)) - log(1 - sigma(T(x, z_p)))``.

  ``t_posterior`` on pairs with ``z ~ q(z | x)`` (labelled 1), ``t_prior``
  on pairs with ``z ~ p(z)`` (labelled 0); both ``[B]`` logits. Minimised
  by ``T = log q(z | x) - log p(z)``.
  """
  return losses.discriminator_real_loss(t_posterior) + losses.discriminator_fake_loss(t_prior)


def train_step(state: State, batch: jax.Array, key: jax.Array) -> tuple[State, dict]:
  """One iteration of Algorithm 1, with ``adversary_updates`` adversary steps.

  Args:
    state: the current state.
    batch: data of shape ``[adversary_updates, B, *data_shape]``; the encoder
      and decoder step on the first batch.
    key: the run's key; the step number is folded in here.
  """
  cfg = state.config
  k = cfg.adversary_updates
  expect_batches(batch, k, f"avb with adversary_updates={k}")
  keys = step_keys(key, state.step, "binarize", "noise", "prior")
  n = batch.shape[1]
  E, D, T = state.encoder, state.decoder, state.adversary

  def draws(x, binarize_key, noise_key, prior_key):
    """One update's data ``x``, noise ``eps`` and prior codes ``z ~ p(z)``."""
    return (vae.binarized(cfg, x, binarize_key),
            jax.random.normal(noise_key, (n, cfg.noise_dim)),
            gaussian_prior(prior_key, n, cfg.latent_dim))

  per_update_keys = [per_update(keys[name], k) for name in ("binarize", "noise", "prior")]
  if k == 1:
    x, eps, z_prior = inputs = draws(batch[0], *per_update_keys)
  else:
    inputs = jax.vmap(draws)(batch, *per_update_keys)
    x, eps, _ = jax.tree.map(lambda v: v[0], inputs)

  # Adversary (eq. 3.3): (x, z ~ q(z | x)) against (x, z ~ p(z)), k times.
  def adversary_update(t_state, update_inputs):
    x_t, eps_t, z_prior_t = update_inputs
    z_posterior = jax.lax.stop_gradient(ts.forward(E, (x_t, eps_t)))

    def t_loss_fn(t):
      t_posterior, t_prior = t((x_t, z_posterior)), t((x_t, z_prior_t))
      return adversary_loss(t_posterior, t_prior).mean(), None

    t_state, t_loss, _ = ts.minimize(t_state, t_loss_fn)
    return t_state, t_loss

  T_new, t_loss = ts.repeat(adversary_update, T, inputs, k)

  # Encoder and decoder (eq. 3.7): ascend log p(x | z) - T(x, z), T as it was.
  log_likelihood = vae.observation(cfg).log_likelihood
  t_fixed = lambda pair: ts.forward(T, pair)  # noqa: E731

  def primal_loss_fn(nets_):
    rec, t = avb_terms(nets_["encoder"], nets_["decoder"], t_fixed, log_likelihood, x, eps)
    return -jnp.mean(rec - t), (rec, t)

  updated, loss, (rec, t) = ts.minimize_jointly({"encoder": E, "decoder": D}, primal_loss_fn)
  metrics = {"loss": loss, "elbo_estimate": jnp.mean(rec - t),
             "reconstruction_log_likelihood": jnp.mean(rec), "kl_estimate": jnp.mean(t),
             "adversary_loss": t_loss}
  return state.replace(step=state.step + 1, adversary=T_new, **updated), metrics


def sample(state: State, key: jax.Array, num: int) -> jax.Array:
  """``num`` samples: ``z ~ N(0, I)`` decoded, then :func:`.vae.draw` (BN in inference mode)."""
  z_key, x_key = jax.random.split(key)
  z = gaussian_prior(z_key, num, state.config.latent_dim)
  return vae.draw(state.config, ts.forward(state.decoder, z, train=False), x_key)


def encode(state: State, x: jax.Array) -> jax.Array:
  """The code ``E(x, eps = 0)`` of data ``x`` ``[B, *data_shape]``.

  Bernoulli models see ``x`` thresholded (the static binarisation).
  """
  x = vae.binarized(state.config, x, None)
  eps = jnp.zeros((x.shape[0], state.config.noise_dim), x.dtype)
  return ts.forward(state.encoder, (x, eps), train=False)


def posterior_mean(state: State, x: jax.Array, key: jax.Array, num_draws: int = 64) -> jax.Array:
  """The posterior mean ``E_eps[E(x, eps)]`` of data ``x`` ``[B, *data_shape]``,
  estimated by the mean of ``num_draws`` codes (``[B, latent_dim]``).

  The implicit posterior has no closed-form mean, and :func:`encode`'s
  ``E(x, 0)`` is not it unless ``E`` is affine in ``eps``; Burda et al.'s
  active units (:func:`gengan_jax.metrics.active_units`) need the mean.
  Bernoulli models see ``x`` thresholded, as in :func:`encode`.
  """
  if not isinstance(num_draws, int) or num_draws < 1:
    raise ValueError(f"posterior_mean: num_draws must be a positive int, got {num_draws!r}.")
  x = vae.binarized(state.config, x, None)
  eps = jax.random.normal(key, (num_draws, x.shape[0], state.config.noise_dim), x.dtype)
  codes = jax.lax.map(lambda e: ts.forward(state.encoder, (x, e), train=False), eps)
  return codes.mean(0)


def reconstruct(state: State, x: jax.Array) -> jax.Array:
  """The mean of ``p(x | z = encode(x))``, in the data's ``[-1, 1]`` range."""
  params = ts.forward(state.decoder, encode(state, x), train=False)
  return vae.observation(state.config).mean(params)
