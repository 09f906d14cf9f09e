"""A refactor keeps the numbers: every recorded algorithm, bit for bit.

For every algorithm and architecture of ``RECORDED``, ``init``, three jitted
``train_step``s and ``sample`` on fixed tiny data and keys give arrays
(parameters, optimizer and batch-norm state, metrics, samples) that must
equal ``reference_numbers.npz``. The comparison runs inside the smoke test
(``tests/algorithms/test_smoke.py``), whose 1-device runs are these
computations (so they are compiled once, not twice); this module holds the
file, :func:`compute` and :func:`assert_same_as_recorded`. The file was
recorded from main before the substrate redesign (issue 10) by running this
file as a script::

    python -m tests.algorithms.test_reference_numbers   # rewrites the .npz
    python -m tests.algorithms.test_reference_numbers dcgan/dcgan   # one entry

Changed on purpose since: ``dcgan``, ``fgan`` and ``gan_penalty`` with the
``dcgan`` arch (issue 10's one batch-norm rule: the generator's running
statistics no longer take the pass that draws the discriminator's fakes);
``wgan_gp`` (both archs; its ``init`` is unchanged) when it became a preset
of the two-player family (issue 10): it now draws its keys as the family
does (with a penalty, three role keys: the fakes' ``z`` from the
discriminator key and ``eps`` from the penalty key, each split ``n_critic``
ways, and the generator's ``z`` from ``fold_in(generator key, 0)``), where it
split one critic key ``n_critic`` ways into ``(z, eps)`` pairs and drew the
generator's ``z`` from its key directly; and its critic loss is summed as
``mean(-f(x)) + mean(f(G(z)))`` (the loss pair's terms) rather than
``mean(f(G(z)) - f(x))``. The old module with only these two changes gives
the new numbers bit for bit.

Re-record only on purpose, and say in the commit which numbers changed and
why. Arrays are compared by position in the state (``jax.tree.leaves``
order), so renaming a field keeps the check; the recorded leaf paths are
printed on a mismatch to help a reader map old names to new ones.

The comparison is exact when the installed jax/jaxlib, the ``XLA_FLAGS``
and the CPU (:func:`_host`) are those that recorded the file (``versions`` in
it). Another XLA may fuse or reorder float operations, and XLA compiles for
the host's vector extensions, so then it allows their rounding, grown through
three optimizer steps (``rtol = atol = 1e-4``), and says so: the two CPU
fusion emitters (:mod:`tests.xla_flags`) differ here by at most 2e-5 (an
Adam moment of age/mlp; a critic bias of mmd_gan/dcgan near 5e-6 changes
sign).

Re-recorded on 2026-12-05 (code unchanged) when the tests' ``XLA_FLAGS``
gained ``--xla_cpu_use_fusion_emitters=false``: the previous file, recorded
with the default emitters, was matched bit for bit by the parent commit.
Re-recorded the same day (code unchanged) on an AMD family 23 (AVX2) machine,
when the key gained the CPU: the file from the previous machine differed
there by at most 1.6e-4 (676 of 1,866 arrays, every entry), within the
tolerance above, and the check had failed on all sixteen entries.
"""

from __future__ import annotations

import functools
import os
import sys

import jax
import numpy as np
import pytest

from gengan_jax import algorithms
from gengan_jax.train import mesh as mesh_lib

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference_numbers.npz")
RECORDED = ("age", "alpha_gan", "dcgan", "fgan", "gan_penalty", "gmmn", "mmd_gan", "wgan_gp")
ARCHS = ("mlp", "dcgan")
STEPS = 3
# The recorded settings, frozen here (not shared with helpers.py, which may change).
FIELDS = {"mlp": dict(arch="mlp", latent_dim=4, hidden=(16, 16)),
          "dcgan": dict(arch="dcgan", latent_dim=4, base_features=4)}


def _data(arch: str, num_batches: int) -> np.ndarray:
  rng = np.random.default_rng(0)
  shape = (2,) if arch == "mlp" else (28, 28, 1)
  return np.tanh(rng.normal(size=(num_batches, 8) + shape)).astype(np.float32)


def _flatten(prefix: str, tree) -> dict[str, np.ndarray]:
  flat, _ = jax.tree_util.tree_flatten_with_path(tree)
  return {f"{prefix}/{i:04d}{jax.tree_util.keystr(p)}": np.asarray(jax.device_get(x))
          for i, (p, x) in enumerate(flat)}


def arrays(init, metrics: list[dict], state, samples) -> dict[str, np.ndarray]:
  """The recorded arrays of a run: its initial state, each step's metrics,
  the final state and its samples."""
  out = _flatten("init", init)
  for i, m in enumerate(metrics):
    out.update(_flatten(f"metrics{i}", dict(sorted(m.items()))))
  out.update(_flatten("state", state))
  out["samples"] = np.asarray(samples)
  return out


def compute(name: str, arch: str) -> dict[str, np.ndarray]:
  """The arrays of one algorithm/arch: init, STEPS steps (state and metrics), samples."""
  module = algorithms.get(name)
  fields = dict(FIELDS[arch])
  if name == "alpha_gan":
    fields["code_discriminator_hidden"] = (16, 16, 16)
  cfg = algorithms.from_mapping(module.Config, fields)
  data = _data(arch, module.num_batches(cfg))
  # On a 1-device mesh, as the loop and the smoke test run it (with the older
  # CPU fusion emitters, a plain jit of the step fuses differently).
  mesh = mesh_lib.make_mesh(jax.devices()[:1])
  init = jax.jit(module.init, static_argnums=1, out_shardings=mesh_lib.replicated(mesh))(
      jax.random.key(0), cfg, data[0])
  step = mesh_lib.shard_step(module.train_step, mesh)
  batch = jax.device_put(data, mesh_lib.batch_sharding(mesh))
  state, history = init, []
  init = jax.device_get(init)  # the step donates its state's buffers
  for _ in range(STEPS):
    state, metrics = step(state, batch, jax.random.key(1))
    history.append(jax.device_get(metrics))
  samples = jax.jit(module.sample, static_argnums=2)(state, jax.random.key(2), 5)
  return arrays(init, history, state, samples)


# The instruction-set extensions that decide XLA's CPU code for float
# arithmetic: the vector width its reductions are split over, and whether a
# multiply and an add fuse into one rounding.
_ISA = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl",
        "avx512_bf16", "avx512_fp16", "amx_bf16", "asimd", "sve", "sve2")


@functools.cache
def _host() -> str:
  """The CPU that XLA compiles for: vendor, family and model, and its vector extensions.

  XLA targets the host it runs on (LLVM's host CPU name and features), so the
  same program can round differently on another CPU: the file recorded on
  one machine differed on another (an AMD family 23 with AVX2, same jax,
  jaxlib and flags) in the last bits of all sixteen entries (an AGE encoder
  loss by ``1.9e-6``). Read from ``/proc/cpuinfo``; the platform's name
  where there is none.
  """
  fields, flags = {}, set()
  try:
    with open("/proc/cpuinfo", encoding="utf-8") as f:
      for line in f:
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("vendor_id", "cpu family", "model", "CPU implementer", "CPU part"):
          fields.setdefault(key, value.strip())
        elif key in ("flags", "Features") and not flags:
          flags = set(value.split())
  except OSError:
    import platform  # pylint: disable=g-import-not-at-top
    return f"cpu {platform.machine()} {platform.processor()}"
  ident = " ".join(f"{k}={v}" for k, v in fields.items())
  return f"cpu {ident} ({' '.join(f for f in _ISA if f in flags)})"


def _versions() -> str:
  """What decides the numbers besides the code: the versions, the XLA flags
  and the CPU (:func:`_host`)."""
  return (f"jax {jax.__version__}, jaxlib {jax.lib.__version__}, "
          f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '')}, {_host()}")


@functools.cache
def recorded() -> dict[str, np.ndarray]:
  if not os.path.exists(PATH):
    pytest.fail(f"{PATH} is missing; record it with "
                "python -m tests.algorithms.test_reference_numbers")
  with np.load(PATH) as f:
    return {k: f[k] for k in f.files}


def test_recorded_every_registered_algorithm_of_the_redesign():
  # New algorithms need not be recorded; the ones recorded must stay registered.
  assert set(RECORDED) <= set(algorithms.REGISTRY)


def test_every_recorded_entry_is_in_the_file():
  keys = recorded()
  for name in RECORDED:
    for arch in ARCHS:
      assert any(k.startswith(f"{name}/{arch}/") for k in keys), (
          f"nothing recorded for {name}/{arch}")


def _group(arrays_: dict[str, np.ndarray], prefix: str) -> list[tuple[str, np.ndarray]]:
  return sorted((k, v) for k, v in arrays_.items() if k.split("/")[0] == prefix)


def assert_same_as_recorded(name: str, arch: str, now: dict[str, np.ndarray]) -> None:
  """``now`` (from :func:`arrays`) equals the recorded arrays of ``name/arch``."""
  rec = recorded()
  exact = str(rec["versions"]) == _versions()
  key = f"{name}/{arch}/"
  old = {k[len(key):]: v for k, v in rec.items() if k.startswith(key)}
  assert old, f"nothing recorded for {name}/{arch}"
  for prefix in sorted({k.split("/")[0] for k in old}):
    a, b = _group(old, prefix), _group(now, prefix)
    assert len(a) == len(b), (f"{name}/{arch} {prefix}: {len(a)} arrays recorded, {len(b)} now; "
                              f"recorded: {[k for k, _ in a]}")
    for (ka, va), (kb, vb) in zip(a, b):
      msg = f"{name}/{arch}: {kb} differs from the recorded {ka}"
      assert va.shape == vb.shape and va.dtype == vb.dtype, msg
      if exact:
        np.testing.assert_array_equal(vb, va, err_msg=msg)
      else:
        np.testing.assert_allclose(vb, va, rtol=1e-4, atol=1e-4,
                                   err_msg=msg + f" (recorded with {rec['versions']}, "
                                   f"running {_versions()}: float rounding allowed)")


def main(entries: list[str]):
  """Records every algorithm/arch, or only ``entries`` (``'name/arch'``) into the file."""
  arrays = {"versions": np.asarray(_versions())}
  if entries:
    with np.load(PATH) as f:
      arrays = {k: f[k] for k in f.files}
    if str(arrays["versions"]) != _versions():
      raise SystemExit(f"{PATH} was recorded with {arrays['versions']}; re-record all of it.")
  todo = entries or [f"{n}/{a}" for n in RECORDED for a in ARCHS]
  for entry in todo:
    name, arch = entry.split("/")
    arrays = {k: v for k, v in arrays.items() if not k.startswith(entry + "/")}
    arrays.update({f"{entry}/{k}": v for k, v in compute(name, arch).items()})
  np.savez_compressed(PATH, **arrays)
  print(f"wrote {len(arrays)} arrays to {PATH} ({os.path.getsize(PATH) / 1e6:.2f} MB)")


if __name__ == "__main__":
  # The test suite's platform and compile flags (tests/conftest.py).
  if "XLA_FLAGS" not in os.environ:
    from tests.xla_flags import xla_flags  # pylint: disable=g-import-not-at-top
    os.environ["XLA_FLAGS"] = xla_flags(8)
  jax.config.update("jax_num_cpu_devices", 8)
  jax.config.update("jax_disable_most_optimizations", True)
  main(sys.argv[1:])
