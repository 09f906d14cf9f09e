"""PyTorch (eager) references of every algorithm's training step, for timing.

Not part of the library: each class here is the same computation as one
``gengan_jax.algorithms.<name>.train_step`` -- the same networks (DCGAN-style
28x28 conv nets or the toy MLPs, the same layer widths, batch norm where the
JAX nets have it, momentum 0.1 = Flax's 0.9), the same losses, the same Adam
settings and the same number and order of network updates per step -- written
the way a careful PyTorch user would: NCHW tensors, ``torch.optim.Adam``
(foreach), networks that are not being updated have ``requires_grad`` off so
that no gradient is computed for them (the JAX steps never compute those
either), ``torch.no_grad()`` for samples that are only inputs.

Numbers are not compared with the JAX step (initialisations differ); the
point is the wall-clock time of one step. ``make(name, config, data_shape,
batch_size)`` returns an object with ``step(batches)`` where ``batches`` is
``[num_batches, B, *data_shape_nchw]``; :func:`compile_step` wraps that step
in ``torch.compile``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

# ----------------------------------------------------------------- networks


def _bn(c: int) -> nn.Module:
  return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)


class DCGANGenerator(nn.Module):
  """z [B, K] -> [B, C, 28, 28]: dense 7x7x2b, BN, ReLU, deconv b, BN, ReLU, deconv C, tanh
  (``tanh=False``: the linear output of a likelihood decoder)."""

  def __init__(self, latent_dim: int, base: int, channels: int = 1,
               tanh: bool = True):
    super().__init__()
    self.base, self.tanh = base, tanh
    self.project = nn.Linear(latent_dim, 7 * 7 * 2 * base, bias=False)
    self.bn_0 = _bn(2 * base)
    self.deconv_1 = nn.ConvTranspose2d(2 * base, base, 4, 2, 1, bias=False)
    self.bn_1 = _bn(base)
    self.out = nn.ConvTranspose2d(base, channels, 4, 2, 1)

  def forward(self, z):
    x = self.project(z).view(z.shape[0], 2 * self.base, 7, 7)
    x = F.relu(self.bn_0(x))
    x = F.relu(self.bn_1(self.deconv_1(x)))
    return torch.tanh(self.out(x)) if self.tanh else self.out(x)


class DCGANTrunk(nn.Module):
  """[B, C, 28, 28] -> [B, out]: conv b, lReLU, conv 2b (+BN), lReLU, dense."""

  def __init__(self, base: int, out: int, channels: int = 1,
               use_batch_norm: bool = True):
    super().__init__()
    self.conv_0 = nn.Conv2d(channels, base, 4, 2, 1)
    self.conv_1 = nn.Conv2d(base, 2 * base, 4, 2, 1, bias=not use_batch_norm)
    self.bn_1 = _bn(2 * base) if use_batch_norm else nn.Identity()
    self.out = nn.Linear(7 * 7 * 2 * base, out)

  def forward(self, x):
    x = F.leaky_relu(self.conv_0(x), 0.2)
    x = F.leaky_relu(self.bn_1(self.conv_1(x)), 0.2)
    return self.out(x.flatten(1))


class Scores(nn.Module):
  """Squeezes a [B, 1] network output to [B]."""

  def __init__(self, net: nn.Module):
    super().__init__()
    self.net = net

  def forward(self, x):
    return self.net(x).squeeze(-1)


def mlp(sizes: Sequence[int], activation=nn.ReLU) -> nn.Sequential:
  layers: list[nn.Module] = []
  for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
    layers.append(nn.Linear(a, b))
    if i < len(sizes) - 2:
      layers.append(activation())
  return nn.Sequential(*layers)


def make_generator(cfg, data_shape) -> nn.Module:
  if cfg.arch == "mlp":
    return mlp([cfg.latent_dim, *cfg.hidden, data_shape[0]])
  return DCGANGenerator(cfg.latent_dim, cfg.base_features, data_shape[-1])


def make_discriminator(cfg, data_shape, use_batch_norm=True) -> nn.Module:
  if cfg.arch == "mlp":
    return Scores(mlp([data_shape[0], *cfg.hidden, 1]))
  return Scores(DCGANTrunk(cfg.base_features, 1, data_shape[-1], use_batch_norm))


def make_encoder(cfg, data_shape, out_dim) -> nn.Module:
  if cfg.arch == "mlp":
    return mlp([data_shape[0], *cfg.hidden, out_dim])
  return DCGANTrunk(cfg.base_features, out_dim, data_shape[-1])


def make_decoder(cfg, data_shape, num_params) -> nn.Module:
  """``p(x | z)``'s parameters, stacked on the channel (feature) axis."""
  if cfg.arch == "mlp":
    return mlp([cfg.latent_dim, *cfg.hidden, num_params * data_shape[0]])
  return DCGANGenerator(cfg.latent_dim, cfg.base_features,
                        num_params * data_shape[-1], tanh=False)


def adam(params, opt) -> torch.optim.Optimizer:
  return torch.optim.Adam(params, lr=opt.learning_rate, betas=(opt.b1, opt.b2),
                          eps=1e-8, foreach=True)


def frozen(*modules: nn.Module):
  """Context: no gradients for these modules' parameters."""

  class _Ctx:
    def __enter__(self):
      for m in modules:
        m.requires_grad_(False)

    def __exit__(self, *exc):
      for m in modules:
        m.requires_grad_(True)

  return _Ctx()


def update(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
  opt.zero_grad(set_to_none=True)
  loss.backward()
  opt.step()


# ------------------------------------------------------------------- losses


def d_real(logits):  # -log sigmoid(l)
  return F.softplus(-logits).mean()


def d_fake(logits):  # -log(1 - sigmoid(l))
  return F.softplus(logits).mean()


def per_example_sum(x):
  return x.flatten(1).sum(1)


def empirical_kl(z, eps=1e-8):
  m = z.mean(0)
  v = z.var(0, unbiased=False)
  return 0.5 * (v + m * m - 1.0 - torch.log(v + eps)).sum()


def to_sphere(h):
  return h / torch.sqrt((h * h).sum(-1, keepdim=True) + 1e-12)


def sphere(n, k):
  return to_sphere(torch.randn(n, k))


def gradient_norm_penalty(critic, x_hat, target=1.0):
  x_hat = x_hat.detach().requires_grad_(True)
  (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
  norm = torch.sqrt(per_example_sum(g * g) + 1e-12)
  return (norm - target) ** 2


def gaussian_mmd2_unbiased(x, y, bandwidths):
  x, y = x.flatten(1), y.flatten(1)

  def gram(a, b):
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    d2 = d2.clamp_min(0)
    return sum(torch.exp(-d2 / (2 * h * h)) for h in bandwidths)

  n, m = x.shape[0], y.shape[0]
  kxx, kyy, kxy = gram(x, x), gram(y, y), gram(x, y)
  return ((kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
          + (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
          - 2 * kxy.mean())


def _eps_shape(x):
  return (x.shape[0],) + (1,) * (x.dim() - 1)


# --------------------------------------------------------------- algorithms


class DCGAN:
  """One D update (real vs G(z)), then ``generator_updates`` NS G updates."""

  def __init__(self, cfg, data_shape, n):
    self.cfg, self.n = cfg, n
    self.G = make_generator(cfg, data_shape)
    self.D = make_discriminator(cfg, data_shape)
    self.opt_g = adam(self.G.parameters(), cfg.generator_optimizer)
    self.opt_d = adam(self.D.parameters(), cfg.discriminator_optimizer)

  def d_loss(self, real_logits, fake_logits):
    return d_real(real_logits) + d_fake(fake_logits)

  def g_loss(self, logits):
    return F.softplus(-logits).mean()

  def step(self, batches):
    cfg, n, G, D = self.cfg, self.n, self.G, self.D
    x = batches[0]
    with torch.no_grad():
      x_fake = G(torch.randn(n, cfg.latent_dim))
    update(self.opt_d, self.d_loss(D(x), D(x_fake)))
    with frozen(D):
      for _ in range(cfg.generator_updates):
        update(self.opt_g, self.g_loss(D(G(torch.randn(n, cfg.latent_dim)))))


class FGAN(DCGAN):
  """f-GAN with the Jensen-Shannon critic and the non-saturating G loss.

  ``g_f(v) = log 2 - softplus(-v)``; critic minimises ``-g_f(v_real) +
  f*(g_f(v_fake))`` with ``f*(t) = -log(2 - e^t)``; G minimises
  ``-g_f(v_fake)``.
  """

  def __init__(self, cfg, data_shape, n):
    if cfg.critic_divergence != "jensen_shannon":
      raise ValueError("the PyTorch reference implements critic_divergence="
                       f"'jensen_shannon' only; got {cfg.critic_divergence!r}.")
    self.cfg, self.n = cfg, n
    self.G = make_generator(cfg, data_shape)
    self.D = make_discriminator(cfg, data_shape)
    self.opt_g = adam(self.G.parameters(), cfg.generator_optimizer)
    self.opt_d = adam(self.D.parameters(), cfg.critic_optimizer)

  def d_loss(self, real_v, fake_v):
    g_real = math.log(2.0) - F.softplus(-real_v)
    g_fake = math.log(2.0) - F.softplus(-fake_v)
    return (-g_real).mean() + (-torch.log(2.0 - torch.exp(g_fake))).mean()

  def g_loss(self, v):
    return -(math.log(2.0) - F.softplus(-v)).mean()


class GANPenalty(DCGAN):
  """NS-GAN whose D loss adds ``penalty_weight`` x a gradient penalty
  (``'dragan'``: at ``x + scale * std(x) * U[0, 1]``; ``'wgan_gp'``: at
  real/fake interpolates), through D in training mode (batch norm)."""

  def __init__(self, cfg, data_shape, n):
    if cfg.penalty not in ("dragan", "wgan_gp"):
      raise ValueError("the PyTorch reference implements penalty 'dragan' and "
                       f"'wgan_gp' only; got {cfg.penalty!r}.")
    super().__init__(cfg, data_shape, n)

  def step(self, batches):
    cfg, n, G, D = self.cfg, self.n, self.G, self.D
    x = batches[0]
    with torch.no_grad():
      x_fake = G(torch.randn(n, cfg.latent_dim))
    gan = d_real(D(x)) + d_fake(D(x_fake))
    if cfg.penalty == "dragan":
      x_hat = x + cfg.dragan_scale * x.std() * torch.rand_like(x)
    else:
      eps = torch.rand(_eps_shape(x))
      x_hat = eps * x + (1 - eps) * x_fake
    penalty = gradient_norm_penalty(D, x_hat).mean()
    update(self.opt_d, gan + cfg.penalty_weight * penalty)
    with frozen(D):
      for _ in range(cfg.generator_updates):
        update(self.opt_g, self.g_loss(D(G(torch.randn(n, cfg.latent_dim)))))


class WGANGP:
  """``n_critic`` critic updates (W loss + lambda GP, no BN), one G update."""

  def __init__(self, cfg, data_shape, n):
    self.cfg, self.n = cfg, n
    self.G = make_generator(cfg, data_shape)
    self.C = make_discriminator(cfg, data_shape, use_batch_norm=False)
    self.opt_g = adam(self.G.parameters(), cfg.generator_optimizer)
    self.opt_c = adam(self.C.parameters(), cfg.critic_optimizer)

  def step(self, batches):
    cfg, n, G, C = self.cfg, self.n, self.G, self.C
    for x in batches:
      with torch.no_grad():
        x_fake = G(torch.randn(n, cfg.latent_dim))
      eps = torch.rand(_eps_shape(x))
      penalty = gradient_norm_penalty(C, eps * x + (1 - eps) * x_fake).mean()
      w = C(x_fake).mean() - C(x).mean()
      update(self.opt_c, w + cfg.gradient_penalty_weight * penalty)
    with frozen(C):
      update(self.opt_g, -C(G(torch.randn(n, cfg.latent_dim))).mean())


class AlphaGAN:
  """``generator_updates`` x (E update, G update), then D and C updates."""

  def __init__(self, cfg, data_shape, n):
    self.cfg, self.n = cfg, n
    self.G = make_generator(cfg, data_shape)
    self.E = make_encoder(cfg, data_shape, cfg.latent_dim)
    self.D = make_discriminator(cfg, data_shape)
    self.C = Scores(mlp([cfg.latent_dim, *cfg.code_discriminator_hidden, 1],
                        activation=lambda: nn.LeakyReLU(0.2)))
    self.opts = {k: adam(getattr(self, k).parameters(), o) for k, o in (
        ("G", cfg.generator_optimizer), ("E", cfg.encoder_optimizer),
        ("D", cfg.discriminator_optimizer),
        ("C", cfg.code_discriminator_optimizer))}

  def step(self, batches):
    cfg, n = self.cfg, self.n
    G, E, D, C = self.G, self.E, self.D, self.C
    x = batches[0]
    adversarial = lambda logits: (-logits).mean()  # -log D + log(1 - D).
    for _ in range(cfg.generator_updates):
      with frozen(G, C):
        z_hat = E(x)
        rec = per_example_sum((x - G(z_hat)).abs()).mean()
        update(self.opts["E"], cfg.lambda_encoder * rec + adversarial(C(z_hat)))
      with torch.no_grad():
        z_hat = E(x)
      with frozen(D):
        x_rec = G(z_hat)
        x_gen = G(torch.randn(n, cfg.latent_dim))
        rec = per_example_sum((x - x_rec).abs()).mean()
        update(self.opts["G"], cfg.lambda_generator * rec
               + adversarial(D(x_rec)) + adversarial(D(x_gen)))
    with torch.no_grad():
      z_hat = E(x)
      x_rec = G(z_hat)
      x_gen = G(torch.randn(n, cfg.latent_dim))
    update(self.opts["D"], d_real(D(x)) + d_fake(D(x_rec)) + d_fake(D(x_gen)))
    update(self.opts["C"], d_real(C(torch.randn(n, cfg.latent_dim)))
           + d_fake(C(z_hat)))


class AGE:
  """One encoder update, then ``generator_updates`` generator updates."""

  def __init__(self, cfg, data_shape, n):
    self.cfg, self.n = cfg, n
    self.G = make_generator(cfg, data_shape)
    self.E = make_encoder(cfg, data_shape, cfg.latent_dim)
    self.opt_g = adam(self.G.parameters(), cfg.generator_optimizer)
    self.opt_e = adam(self.E.parameters(), cfg.encoder_optimizer)

  def step(self, batches):
    cfg, n, G, E = self.cfg, self.n, self.G, self.E
    x = batches[0]
    with torch.no_grad():
      x_gen = G(sphere(n, cfg.latent_dim))
    with frozen(G):
      z_real, z_fake = to_sphere(E(x)), to_sphere(E(x_gen))
      rec = per_example_sum((x - G(z_real)) ** 2).mean()
      update(self.opt_e, empirical_kl(z_real) - empirical_kl(z_fake)
             + cfg.lambda_x * rec)
    with frozen(E):
      for _ in range(cfg.generator_updates):
        z = sphere(n, cfg.latent_dim)
        z_rec = to_sphere(E(G(z)))
        cosine = 1.0 - (z * z_rec).sum(-1) / (z.norm(dim=-1) * z_rec.norm(dim=-1))
        update(self.opt_g, empirical_kl(z_rec) + cfg.lambda_z * cosine.mean())


class GMMN:
  """One generator update on the unbiased Gaussian-kernel MMD^2."""

  def __init__(self, cfg, data_shape, n):
    if cfg.kernel != "gaussian" or cfg.estimator != "unbiased":
      raise ValueError("the PyTorch reference implements kernel='gaussian', "
                       "estimator='unbiased' only.")
    self.cfg, self.n = cfg, n
    self.G = make_generator(cfg, data_shape)
    self.opt_g = adam(self.G.parameters(), cfg.generator_optimizer)

  def step(self, batches):
    cfg = self.cfg
    x_gen = self.G(torch.randn(self.n, cfg.latent_dim))
    update(self.opt_g, gaussian_mmd2_unbiased(batches[0], x_gen,
                                              cfg.kernel_scales))


class MMDGAN:
  """``n_critic`` clipped feature-critic updates (maximise MMD^2 of
  features), then one generator update."""

  def __init__(self, cfg, data_shape, n):
    if cfg.kernel != "gaussian" or cfg.estimator != "unbiased":
      raise ValueError("the PyTorch reference implements kernel='gaussian', "
                       "estimator='unbiased' only.")
    self.cfg, self.n = cfg, n
    self.G = make_generator(cfg, data_shape)
    self.C = make_encoder(cfg, data_shape, cfg.feature_dim)
    with torch.no_grad():
      for p in self.C.parameters():
        p.clamp_(-cfg.clip, cfg.clip)
    self.opt_g = adam(self.G.parameters(), cfg.generator_optimizer)
    self.opt_c = adam(self.C.parameters(), cfg.critic_optimizer)

  def step(self, batches):
    cfg, n, G, C = self.cfg, self.n, self.G, self.C
    for x in batches:
      with torch.no_grad():
        x_fake = G(torch.randn(n, cfg.latent_dim))
      update(self.opt_c, -gaussian_mmd2_unbiased(C(x), C(x_fake),
                                                 cfg.kernel_scales))
      with torch.no_grad():
        for p in C.parameters():
          p.clamp_(-cfg.clip, cfg.clip)
    with frozen(C):
      x_gen = G(torch.randn(n, cfg.latent_dim))
      update(self.opt_g, gaussian_mmd2_unbiased(C(batches[-1]), C(x_gen),
                                                cfg.kernel_scales))


class VAE:
  """One joint Adam step of encoder and decoder on ``-mean(log p(x | z) - beta KL)``
  (one reparameterised draw, the KL in closed form; Bernoulli on binarised
  pixels or a Gaussian with a learned scale)."""

  def __init__(self, cfg, data_shape, n):
    if cfg.observation not in ("bernoulli", "gaussian") or cfg.fixed_log_scale is not None:
      raise ValueError("the PyTorch reference implements observation='bernoulli' and "
                       f"'gaussian' (learned scale) only; got {cfg.observation!r}.")
    self.cfg = cfg
    self.E = make_encoder(cfg, data_shape, 2 * cfg.latent_dim)
    self.Dec = make_decoder(cfg, data_shape, 1 if cfg.observation == "bernoulli" else 2)
    self.opt = adam([*self.E.parameters(), *self.Dec.parameters()], cfg.optimizer)

  def step(self, batches):
    cfg, x = self.cfg, batches[0]
    if cfg.binarization != "none":  # To {-1, 1}: P(1) = (x + 1) / 2, or x > 0.
      u = torch.rand_like(x) if cfg.binarization == "dynamic" else 0.5
      x = torch.where(u < 0.5 * (x + 1), 1.0, -1.0)
    mean, log_scale = self.E(x).chunk(2, -1)
    params = self.Dec(mean + torch.exp(log_scale) * torch.randn_like(mean))
    if cfg.observation == "bernoulli":
      rec = -per_example_sum(F.binary_cross_entropy_with_logits(
          params, 0.5 * (x + 1), reduction="none"))
    else:
      mu, s = params.chunk(2, 1)
      rec = -per_example_sum(0.5 * math.log(2 * math.pi) + s
                             + 0.5 * ((x - mu) * torch.exp(-s)) ** 2)
    kl = 0.5 * (torch.exp(2 * log_scale) + mean ** 2 - 1 - 2 * log_scale).sum(-1)
    update(self.opt, -(rec - cfg.beta * kl).mean())


class Coupling(nn.Module):
  """Real NVP's affine coupling with a fixed mask ``b`` (broadcast to the input):
  ``y = x exp(s) + t``, ``s = (1 - b) scale tanh(s_raw)``, ``t = (1 - b) t_raw``,
  ``(s_raw, t_raw) = net(b x)``; returns ``(y, sum s)``."""

  def __init__(self, mask: torch.Tensor, net: nn.Module, channels: int):
    super().__init__()
    self.register_buffer("mask", mask)
    self.net = net
    self.scale = nn.Parameter(torch.ones(channels))
    nn.init.zeros_(self.net[-1].weight)  # The coupling starts as the identity.
    nn.init.zeros_(self.net[-1].bias)

  def forward(self, x):
    b = self.mask
    s_raw, t = self.net(b * x).chunk(2, 1)
    scale = self.scale.view(-1, *(1,) * (x.dim() - 2))
    s = (1 - b) * scale * torch.tanh(s_raw)
    return x * torch.exp(s) + (1 - b) * t, per_example_sum(s)


class _Residual(nn.Module):
  def __init__(self, f: int):
    super().__init__()
    self.a, self.b = nn.Conv2d(f, f, 3, padding=1), nn.Conv2d(f, f, 3, padding=1)

  def forward(self, h):
    return F.relu(h + self.b(F.relu(self.a(h))))


def _conv_coupling(mask, c, f, num_blocks):
  net = nn.Sequential(nn.Conv2d(c, f, 3, padding=1), nn.ReLU(),
                      *(_Residual(f) for _ in range(num_blocks)),
                      nn.Conv2d(f, f, 1), nn.ReLU(), nn.Conv2d(f, 2 * c, 3, padding=1))
  return Coupling(mask, net, c)


def _checkerboard(h, w, parity):
  i, j = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
  return ((i + j) % 2 == parity).float()[None]  # [1, H, W]


def _channel_mask(c, parity):
  first = (torch.arange(c) < c // 2).float()
  return (first if parity == 0 else 1 - first)[:, None, None]  # [C, 1, 1]


def _squeeze(x):  # [B, C, H, W] -> [B, 4C, H/2, W/2], channels as the JAX flow's.
  b, c, h, w = x.shape
  x = x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 3, 5, 1, 2, 4)
  return x.reshape(b, 4 * c, h // 2, w // 2)


class RealNVPMLE:
  """One Adam step on the negative log-likelihood of a Real NVP: alternating
  MLP couplings on vectors, or the multi-scale flow on images (3 checkerboard
  couplings, squeeze, 3 channel couplings, half factored out, per scale; 4
  checkerboard couplings last) behind uniform dequantisation and the logit
  transform. ``log N(z; 0, I)`` is summed over the factored parts (the JAX
  flow reassembles ``z`` first: the same value)."""

  def __init__(self, cfg, data_shape, n):
    self.cfg, self.images = cfg, len(data_shape) == 3
    if not self.images:
      d = data_shape[0]
      self.couplings = nn.ModuleList(
          Coupling(torch.arange(d).remainder(2).eq(i % 2).float(),
                   mlp([d, *cfg.hidden, 2 * d]), d) for i in range(cfg.num_couplings))
    else:
      (h, w, c), f, nb = data_shape, cfg.base_features, cfg.num_blocks
      self.scales = nn.ModuleList()
      for _ in range(cfg.num_scales):
        self.scales.append(nn.ModuleList(
            [_conv_coupling(_checkerboard(h, w, p), c, f, nb) for p in (0, 1, 0)]
            + [_conv_coupling(_channel_mask(4 * c, p), 4 * c, f, nb) for p in (0, 1, 0)]))
        h, w, c = h // 2, w // 2, 2 * c
      self.couplings = nn.ModuleList(
          _conv_coupling(_checkerboard(h, w, p), c, f, nb) for p in (0, 1, 0, 1))
    params = list(self.couplings.parameters())
    if self.images:
      params += list(self.scales.parameters())
    self.opt = adam(params, cfg.optimizer)

  def log_prob(self, y):
    log_det, log_pz = 0.0, 0.0
    for scale in self.scales if self.images else []:
      for i, coupling in enumerate(scale):
        if i == 3:
          y = _squeeze(y)
        y, ld = coupling(y)
        log_det = log_det + ld
      z, y = y.chunk(2, 1)  # Factor out half the channels.
      log_pz = log_pz + per_example_sum(-0.5 * (z * z + math.log(2 * math.pi)))
    for coupling in self.couplings:
      y, ld = coupling(y)
      log_det = log_det + ld
    return log_pz + per_example_sum(-0.5 * (y * y + math.log(2 * math.pi))) + log_det

  def step(self, batches):
    x, log_det = batches[0], 0.0
    if self.images:  # Dequantise, then the logit transform and its log-Jacobian.
      k = torch.round((x + 1) * 127.5).clamp(0, 255)
      x = torch.clamp_max(2 * (k + torch.rand_like(x)) / 256 - 1, 1 - 2.0 ** -20)
      a = self.cfg.logit_alpha
      log_p = torch.log(a + (1 - a) * (x + 1) / 2)
      log_1mp = torch.log((1 - a) * (1 - x) / 2)
      x = log_p - log_1mp
      log_det = per_example_sum(math.log((1 - a) / 2) - log_p - log_1mp)
    update(self.opt, -(self.log_prob(x) + log_det).mean())


ALGORITHMS = {
    "alpha_gan": AlphaGAN,
    "dcgan": DCGAN,
    "wgan_gp": WGANGP,
    "age": AGE,
    "fgan": FGAN,
    "gan_penalty": GANPenalty,
    "gmmn": GMMN,
    "mmd_gan": MMDGAN,
    "vae": VAE,
    "real_nvp_mle": RealNVPMLE,
}


def make(name: str, cfg, data_shape: Sequence[int], batch_size: int):
  """The PyTorch reference of algorithm ``name`` for one config.

  Args:
    name: a key of :data:`ALGORITHMS`.
    cfg: the algorithm's JAX ``Config`` dataclass (the same hyper-parameters).
    data_shape: one example's shape in the JAX layout (``(D,)`` or
      ``(H, W, C)``; only 28x28 images are implemented).
    batch_size: ``B``.

  Raises:
    ValueError: an unknown name or an unsupported data shape.
  """
  if name not in ALGORITHMS:
    raise ValueError(f"no PyTorch reference for algorithm {name!r}; available: "
                     f"{sorted(ALGORITHMS)}.")
  if cfg.arch == "dcgan" and tuple(data_shape[:2]) != (28, 28):
    raise ValueError(f"the PyTorch references implement 28x28 images only; got "
                     f"data_shape={tuple(data_shape)}.")
  return ALGORITHMS[name](cfg, tuple(data_shape), batch_size)


def to_torch_batches(batches) -> torch.Tensor:
  """``[nb, B, H, W, C]`` (numpy, JAX layout) -> NCHW torch; vectors as is."""
  t = torch.as_tensor(batches)
  if t.dim() == 5:
    t = t.permute(0, 1, 4, 2, 3).contiguous()
  return t



def compile_step(ref, *, mode: str = "default", backend: str = "inductor"):
  """``ref.step`` under ``torch.compile``, as a PyTorch user writes it today.

  The whole training step -- losses, ``backward()`` and the optimizers'
  updates -- is one ``torch.compile``-d function (the pattern of PyTorch's
  ``torch.compile`` tutorial), stock Dynamo settings. Dynamo splits it into
  graphs where it cannot trace: ``opt.zero_grad`` (marked not traceable),
  ``loss.backward()`` and inside ``opt.step`` (the optimizer's own
  ``graph_break()``); each forward piece is compiled with its backward by
  AOTAutograd, which refuses a double backward (gradient penalties fail).
  The graph-break message's hint, ``torch._dynamo.config.trace_autograd_ops
  = True``, traces the whole step into one graph but, in torch 2.13, leaves
  every ``.grad`` unset: the optimizers then skip all parameters and the
  step trains nothing (several times faster than eager, and wrong), so it is
  not used.

  Args:
    ref: an object of :func:`make`.
    mode: ``torch.compile``'s mode.
    backend: ``torch.compile``'s backend (``'inductor'``: the default;
      ``'aot_eager'`` traces the same graphs without generating code).

  Returns:
    ``step(batches)``.
  """
  return torch.compile(ref.step, mode=mode, backend=backend)
