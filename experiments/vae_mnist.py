r"""VAE, beta-VAE, IWAE and learned priors on the 5k MNIST digits, measured on the 10k test digits.

A CPU-sized version of Burda, Grosse & Salakhutdinov 2016, Table 1 (one
stochastic layer): the MLP of their MNIST experiments (two deterministic
hidden layers of 200 units in encoder and decoder, ReLU here where they use
tanh, 50 Gaussian latents, a Bernoulli decoder) trained on the 5,000
training digits of ``../shared/data/mnist`` (``train5k-*``), binarised
dynamically (a fresh Bernoulli draw of every pixel with its grey level as
the probability, each step), with the settings of
``experiments/configs/<name>.py:mnist`` (batch 64, Adam 1e-3, 5,000 steps:
64 passes over the digits; IWAE with ``k = 50``, beta-VAE with ``beta = 4``;
``flow_prior_vae`` with a Real NVP prior of 4 couplings, ``vamp_prior_vae``
with the VampPrior of K = 500 pseudo-inputs) and the architecture overridden
to the MLP.

On the 10,000 test digits, each binarised dynamically once (the key of the
evaluation, the same binarisation for every number of a model) it reports,
in nats per digit: the ELBO (``k = 1``) and the importance-weighted bound
with ``k = 1000`` (``log_likelihood``, :mod:`gengan_jax.evaluate.likelihood`),
the training digits' ELBO (overfitting), the active units of the test
digits' posterior means (Burda et al.'s Sec. 5.2), and the ELBO surgery of Hoffman &
Johnson 2016 (against the model's prior: ``flow_prior_vae``'s KL to its flow
and ``vamp_prior_vae``'s to its VampPrior by Monte Carlo); and writes 64
samples (mean images of ``p(x | z)``, ``z`` from the model's prior) and 32
test digits beside their reconstructions, and for the VampPrior its first 64
pseudo-inputs. With two or more of ``vae``, ``flow_prior_vae`` and
``vamp_prior_vae`` it adds one table of the three priors: the ELBO, the
bound and the marginal KL ``KL(q(z) || p(z))`` that the learned priors
exist to remove (the aggregate posterior is the prior that maximises the
ELBO).

Why a script and not ``experiments/train.py``: the loop checks that the
config's ``arch`` fits the data with the GAN discriminator's factory, which
has no MLP for images, while the likelihood family's MLP encoder and decoder
flatten them (see the report of issue 12). Training here uses the same
contract (``init``, ``train_step`` in a ``lax.scan``, ``log_likelihood``,
``posterior``, ``sample``, ``reconstruct``) on one device.

Usage::

  python -m experiments.vae_mnist --workdir=/tmp/vae_mnist \
      [--algorithms=vae,beta_vae,iwae,flow_prior_vae,vamp_prior_vae] [--steps=5000] [--k=1000] \
      [--test_examples=10000] [--images_dir=docs/images] [--evaluate_only]

Each algorithm gets ``<workdir>/<name>/`` with ``state.msgpack``,
``train_log.jsonl``, ``results.json`` and the pictures; the tables go to
stdout and ``<workdir>/results.md``.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import time

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

from gengan_jax import algorithms, data, metrics
from gengan_jax.configs import common
from gengan_jax.evaluate.likelihood import held_out_likelihood
from gengan_jax.metrics.classifier import apply_in_batches
from gengan_jax.train import plots

# Burda et al. 2016, Table 1, MNIST, one stochastic layer: the test
# log-likelihood estimated with k = 5000 (nats), by training k; 60k digits,
# dynamic binarisation, 3,280 passes, tanh MLPs of 2 x 200 and 50 latents.
# Tomczak & Welling 2018 (as pythae's reproducibility table cites it): the
# one-layer VAE with the VampPrior (K = 500), k = 5000; static binary MNIST,
# gated MLPs of 2 x 300, 40 latents, 100 epochs of KL warm-up, up to 2,000
# epochs with early stopping.
PUBLISHED = {("vae", 1): -86.76, ("vae", 5): -86.47, ("vae", 50): -86.35,
             ("iwae", 5): -85.54, ("iwae", 50): -84.78, ("vamp_prior_vae", 1): -85.57}
# The priors of the priors table.
PRIORS = {"vae": "N(0, I)", "flow_prior_vae": "Real NVP (learned)",
          "vamp_prior_vae": "VampPrior (learned)"}
CHUNK = 250  # training steps per compiled call
MLP = dict(arch="mlp", hidden=(200, 200), latent_dim=50)


def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  fv = {"flag_values": flag_values}
  flags.DEFINE_string("workdir", None, "Output folder.", **fv)
  flags.DEFINE_list("algorithms", ["vae", "beta_vae", "iwae"], "Which to run.", **fv)
  flags.DEFINE_integer("steps", None, "Training steps (default: the config's).", **fv)
  flags.DEFINE_integer("k", 1000, "Importance samples of the test bound.", **fv)
  flags.DEFINE_integer("test_examples", 10000, "Test digits to evaluate (the first N).", **fv)
  flags.DEFINE_string("images_dir", None, "Also copy the pictures here as "
                      "<name>_mnist_{samples,reconstructions}.png.", **fv)
  flags.DEFINE_bool("evaluate_only", False, "Restore <workdir>/<name>/state.msgpack.", **fv)
  flags.DEFINE_string("mnist_dir", None, "MNIST IDX folder (default: the configs').", **fv)
  flags.DEFINE_bool("pseudo_inputs_from_data", False, "VampPrior: start the K pseudo-inputs "
                    "at K random training digits (the reference code's "
                    "use_training_data_init) instead of near-black noise.", **fv)


def config_of(name: str, steps: int | None):
  """The ``mnist`` variant of ``experiments/configs/<name>.py`` with the MLP."""
  c = importlib.import_module(f"gengan_jax.configs.{name}").get_config("mnist")
  model = {**c.model.to_dict(), **MLP}
  module = algorithms.get(name)
  return module, algorithms.from_mapping(module.Config, model), c.data.batch_size, \
      steps or c.train.steps, c.seed


def train(module, cfg, x_train: np.ndarray, batch_size: int, steps: int, seed: int,
          log_path: str, *, pseudo_inputs_from_data: bool = False):
  """``steps`` steps on shuffled passes over ``x_train``; a line of mean metrics per chunk.

  With ``pseudo_inputs_from_data`` a VampPrior's pseudo-inputs start at
  ``K`` training digits drawn without replacement (grey levels in ``[-1, 1]``).
  """
  state = module.init(jax.random.key(seed), cfg, jnp.asarray(x_train[:batch_size]))
  if pseudo_inputs_from_data and hasattr(module.module, "pseudo_inputs"):
    pick = np.random.default_rng([seed, 500]).choice(len(x_train), cfg.num_pseudo_inputs,
                                                     replace=False)
    state = state.replace(prior=state.prior.replace(
        params={"pseudo_inputs": jnp.asarray(x_train[pick])}))
  key = jax.random.key(seed + 1)
  run = jax.jit(lambda st, xs: jax.lax.scan(
      lambda s, b: module.train_step(s, b, key), st, xs))
  rng = np.random.default_rng(seed)
  per_pass = len(x_train) // batch_size
  order = np.concatenate([rng.permutation(len(x_train))[:per_pass * batch_size]
                          for _ in range(-(-steps // per_pass))])
  t0 = time.time()
  with open(log_path, "w") as f:
    for start in range(0, steps, CHUNK):
      n = min(CHUNK, steps - start)
      idx = order[start * batch_size:(start + n) * batch_size]
      state, m = run(state, jnp.asarray(x_train[idx].reshape(n, 1, batch_size,
                                                              *x_train.shape[1:])))
      line = {"step": start + n, "seconds": round(time.time() - t0, 1),
              **{k: float(np.mean(v)) for k, v in m.items()}}
      f.write(json.dumps(line) + "\n")
      print(json.dumps(line), flush=True)
  return state


def evaluate(module, name, state, x_train, x_test, k, out_dir):
  algo = algorithms.get(name)
  key = jax.random.key(1234)
  t0 = time.time()
  test = held_out_likelihood(algo, state, x_test, key, num_samples=k, log=print)
  train_elbo = held_out_likelihood(algo, state, x_train, key, num_samples=1)
  result = {"algorithm": name, "config": str(state.config),
            "training_k": getattr(state.config, "num_importance_samples", 1), "test": test,
            "train_elbo": train_elbo["elbo"], "seconds": round(time.time() - t0, 1)}
  codes = apply_in_batches(jax.jit(lambda x: module.encode(state, x)), x_test)
  result["active_units"] = metrics.active_units(codes)["active"]
  samples = np.asarray(jax.jit(module.sample, static_argnums=2)(state, jax.random.key(7), 64))
  rec = np.asarray(jax.jit(module.reconstruct)(state, jnp.asarray(x_test[:32])))
  pairs = np.stack([x_test[:32], rec], axis=1).reshape(64, *x_test.shape[1:])
  pictures = {"samples": os.path.join(out_dir, f"{name}_mnist_samples.png"),
              "reconstructions": os.path.join(out_dir, f"{name}_mnist_reconstructions.png")}
  title = f"{name}, MLP 2x200, 50 latents, 5k digits"
  plots.image_grid(pictures["samples"], samples, title=f"{title}: samples (mean of p(x|z))")
  plots.image_grid(pictures["reconstructions"], pairs,
                   title=f"{title}: test digit | reconstruction")
  if hasattr(module.module, "pseudo_inputs"):
    u = np.asarray(jax.jit(module.module.pseudo_inputs)(state))[:64]
    pictures["pseudo_inputs"] = os.path.join(out_dir, f"{name}_mnist_pseudo_inputs.png")
    plots.image_grid(pictures["pseudo_inputs"], u,
                     title=f"{name}: {len(u)} of the K = {state.config.num_pseudo_inputs} "
                           "pseudo-inputs")
  result["pictures"] = pictures
  with open(os.path.join(out_dir, "results.json"), "w") as f:
    json.dump(result, f, indent=1)
  return result


def tables(results: list[dict], steps: dict[str, int]) -> str:
  rows = ["| model | training k | steps | train ELBO | test ELBO | test IWAE bound, k = "
          f"{results[0]['test']['iwae']['k']} | published (k = 5000 test bound) "
          "| active units (of the latents) |",
          "|---|---|---|---|---|---|---|---|"]
  for r in results:
    name, t, k = r["algorithm"], r["test"], r["training_k"]
    published = PUBLISHED.get((name, k))
    rows.append(f"| {name} | {k} | {steps[name]} | {r['train_elbo']['mean']:.2f} | "
                f"{t['elbo']['mean']:.2f} +- {t['elbo']['se']:.2f} | "
                f"{t['iwae']['mean']:.2f} +- {t['iwae']['se']:.2f} | "
                f"{'-' if published is None else f'{published:.2f}'} | {r['active_units']} |")
  rows += ["", "| model | p(z) | average KL | = I[n; z] | + KL(q(z) \\|\\| p(z)) | log N |",
           "|---|---|---|---|---|---|"]
  for r in results:
    s = r["test"]["elbo_surgery"]
    kl = f"{s['average_kl']:.2f}"
    if s["average_kl_se"]:  # a learned prior: the KL is a Monte Carlo estimate
      kl += f" +- {s['average_kl_se']:.2f}"
    rows.append(f"| {r['algorithm']} | {s['prior']} | {kl} | {s['mutual_information']:.2f}"
                f" +- {s['mutual_information_se']:.2f} | {s['marginal_kl']:.2f} | "
                f"{s['log_num_examples']:.2f} |")
  priors = [r for r in results if r["algorithm"] in PRIORS]
  if len(priors) >= 2:
    rows += ["", f"| model | p(z) | steps | test ELBO | test IWAE bound, k = "
             f"{priors[0]['test']['iwae']['k']} | marginal KL(q(z) \\|\\| p(z)) | I[n; z] |",
             "|---|---|---|---|---|---|---|"]
    for r in priors:
      t, s = r["test"], r["test"]["elbo_surgery"]
      rows.append(f"| {r['algorithm']} | {PRIORS[r['algorithm']]} | {steps[r['algorithm']]} | "
                  f"{t['elbo']['mean']:.2f} +- {t['elbo']['se']:.2f} | "
                  f"{t['iwae']['mean']:.2f} +- {t['iwae']['se']:.2f} | "
                  f"{s['marginal_kl']:.2f} | {s['mutual_information']:.2f} |")
  return "\n".join(rows)


def main(argv):
  del argv
  f = flags.FLAGS
  if not f.workdir:
    raise app.UsageError("pass --workdir")
  directory = f.mnist_dir or common.mnist_directory()
  x_train = data.preprocess_images(data.load_mnist_idx(directory, "train5k")[0])
  x_test = data.preprocess_images(data.load_mnist_idx(directory, "test")[0])[:f.test_examples]
  results, steps = [], {}
  for name in f.algorithms:
    module, cfg, batch_size, n_steps, seed = config_of(name, f.steps)
    steps[name] = n_steps
    out_dir = os.path.join(f.workdir, name)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "state.msgpack")
    if f.evaluate_only:
      template = module.init(jax.random.key(seed), cfg, jnp.asarray(x_train[:batch_size]))
      with open(path, "rb") as fh:
        state = flax.serialization.from_bytes(template, fh.read())
    else:
      print(f"training {name}: {cfg}", flush=True)
      state = train(module, cfg, x_train, batch_size, n_steps, seed,
                    os.path.join(out_dir, "train_log.jsonl"),
                    pseudo_inputs_from_data=f.pseudo_inputs_from_data)
      with open(path, "wb") as fh:
        fh.write(flax.serialization.to_bytes(state))
    results.append(evaluate(module, name, state, x_train, x_test, f.k, out_dir))
    if f.images_dir:
      for p in results[-1]["pictures"].values():
        shutil.copy(p, os.path.join(f.images_dir, os.path.basename(p)))
  text = tables(results, steps)
  print(text)
  with open(os.path.join(f.workdir, "results.md"), "w") as fh:
    fh.write(text + "\n")


if __name__ == "__main__":
  define_flags()
  app.run(main)
