r"""Step-time benchmark: every algorithm's compiled JAX step against PyTorch.

One process run, for each algorithm in ``gengan_jax.algorithms.REGISTRY``:

* ``mnist``: the ``mnist`` variant of the algorithm's
  ``experiments/configs/<name>.py`` (DCGAN-style 28x28 nets, latent 32) with
  ``--base_features`` (64, the paper size, by default) and batch
  ``--batch_size`` (64), on real MNIST digits when the local IDX files exist
  (random images of the same shape otherwise: the timing does not depend on
  the values);
* ``ring``: its ``ring`` variant (the toy 2-D MLPs) at the same batch size, as
  one step per call (``jit``) and as ``--multi_steps`` steps per call
  (:func:`gengan_jax.train.multistep.multi_step`).

It times the compiled step (after warm-up; the median over ``--rounds`` x
``--repeats`` calls, each synchronised with ``block_until_ready``) and its
compile time, the PyTorch eager step of
``experiments/benchmarks/torch_reference.py`` (same networks, optimizer and
updates) and the same step under ``torch.compile``
(:func:`torch_reference.compile_step`; its warm-up, the calls that compiled
a graph, reported apart), *interleaved* round by round so that all see the
same machine load. ``torch.compile`` starts from an empty on-disk cache (a
temporary ``TORCHINDUCTOR_CACHE_DIR`` unless one is set): its warm-up is a
first run's. FLOPs per step come from XLA's cost analysis of the compiled
step (with any ``lax.scan`` unrolled: XLA counts a loop body once); the float32 matmul
rate (2048 x 2048 in JAX) is measured in every round of every algorithm, and
each row's share is of the rate measured during its own rounds (the machine is
shared, its load drifts). Then evaluation: Frechet distance on 10k x 2048
features, MMD^2 on 4k samples, mode coverage on 100k ring samples.

Run from the repository root (PyTorch: ``pip install -e ".[bench]"``)::

  python -m experiments.benchmarks.run --json=bench.json --markdown=bench.md

Timings are never asserted by the test suite; this prints a table.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gengan_jax import algorithms, data, losses, metrics
from gengan_jax.ratio import moment_matching
from gengan_jax.train import multistep

try:  # PyTorch is an optional, benchmark-only dependency.
  import torch
  from experiments.benchmarks import torch_reference
except ImportError:  # pragma: no cover - depends on the environment.
  torch = None
  torch_reference = None


@dataclasses.dataclass
class Row:
  """One line of the table."""

  algorithm: str
  setting: str
  jax_ms: float
  torch_ms: float | None
  gflop_per_step: float | None
  compile_s: float
  steps_per_call: int = 1
  note: str = ""
  matmul_gflops: float | None = None  # Measured during the same rounds.
  compiled_ms: float | None = None  # PyTorch under torch.compile.
  compiled_warmup_s: float | None = None

  @property
  def ratio(self) -> float | None:
    """PyTorch time / JAX time (> 1: JAX is faster)."""
    return None if self.torch_ms is None else self.torch_ms / self.jax_ms

  @property
  def compiled_ratio(self) -> float | None:
    """torch.compile time / JAX time (> 1: JAX is faster)."""
    return None if self.compiled_ms is None else self.compiled_ms / self.jax_ms

  def gflops(self) -> float | None:
    if self.gflop_per_step is None:
      return None
    return self.gflop_per_step / (self.jax_ms / 1e3)


# ------------------------------------------------------------------ helpers


def loadavg() -> str:
  try:
    with open("/proc/loadavg") as f:
      return " ".join(f.read().split()[:3])
  except OSError:
    return "n/a"


def _median_ms(times: list[float]) -> float:
  return 1e3 * statistics.median(times)


@contextlib.contextmanager
def unrolled_scans():
  """Makes every ``jax.lax.scan`` traced inside fully unrolled.

  Used only to *count* FLOPs: XLA's cost analysis counts a while-loop body
  once, whatever its trip count.
  """
  original = jax.lax.scan

  def scan(*args, **kwargs):
    kwargs["unroll"] = True
    return original(*args, **kwargs)

  jax.lax.scan = scan
  try:
    yield
  finally:
    jax.lax.scan = original


def _flops(compiled) -> float | None:
  cost = compiled.cost_analysis()
  if isinstance(cost, (list, tuple)):
    cost = cost[0] if cost else None
  if not cost or "flops" not in cost:
    return None
  return float(cost["flops"])


def _has_loop(fn, *args) -> bool:
  text = str(jax.make_jaxpr(fn)(*args))
  return "scan[" in text or "while[" in text


def step_flops(step_fn, state, batch, key) -> float | None:
  """XLA's FLOP count of one ``step_fn(state, batch, key)``, loops unrolled."""
  # A fresh function: jit's tracing cache would return the rolled jaxpr.
  fresh = lambda s, b, k: step_fn(s, b, k)
  with unrolled_scans():
    compiled = jax.jit(fresh).lower(state, batch, key).compile()
  return _flops(compiled)


_MATMUL_N = 2048
_matmul = jax.jit(jnp.dot)
_matmul_a = None


def jax_matmul_times(repeats: int) -> list[float]:
  """Seconds per float32 ``[2048, 2048] @ [2048, 2048]`` in JAX."""
  global _matmul_a
  if _matmul_a is None:
    _matmul_a = jax.random.normal(jax.random.key(0), (_MATMUL_N,) * 2)
    jax.block_until_ready(_matmul(_matmul_a, _matmul_a))
  return _time_calls(
      lambda: jax.block_until_ready(_matmul(_matmul_a, _matmul_a)), repeats)


def _gflops_of_matmul(seconds: float) -> float:
  return 2 * _MATMUL_N ** 3 / seconds / 1e9


def matmul_rates(n: int = _MATMUL_N, repeats: int = 10) -> dict[str, float]:
  """float32 ``[n, n] @ [n, n]`` GFLOP/s, median of ``repeats``."""
  out = {"jax": _gflops_of_matmul(statistics.median(jax_matmul_times(repeats)))}
  if torch is not None:
    b = torch.randn(n, n)
    torch.mm(b, b)
    times = []
    for _ in range(repeats):
      t = time.perf_counter()
      torch.mm(b, b)
      times.append(time.perf_counter() - t)
    out["torch"] = 2 * n ** 3 / statistics.median(times) / 1e9
  return out


# ------------------------------------------------------------ one algorithm


def _config(name: str, kind: str, base_features: int, batch_size: int):
  module = importlib.import_module(f"experiments.configs.{name}")
  c = module.get_config(kind)
  c.data.batch_size = batch_size
  if kind == "mnist":
    c.model.base_features = base_features
  return c


def _data(c, num: int, steps: int) -> np.ndarray:
  """``[steps, num_batches, B, ...]`` float32 from the config's data source
  (random images of the MNIST shape when the local files are missing)."""
  try:
    dataset = data.make_dataset(c.data)
    return np.stack([dataset.batch(s, c.data.batch_size, num, seed=0)
                     for s in range(steps)])
  except (OSError, ValueError) as e:
    if c.data.get("source") != "idx":
      raise
    print(f"  ({e}; timing on random images instead)", file=sys.stderr)
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (steps, num, c.data.batch_size, 28, 28, 1)
                       ).astype(np.float32)


@contextlib.contextmanager
def _fresh_inductor_cache(active: bool):
  """Points ``torch.compile``'s on-disk cache at an empty temporary folder
  (unless ``TORCHINDUCTOR_CACHE_DIR`` is set): warm-ups are first runs."""
  if not active or "TORCHINDUCTOR_CACHE_DIR" in os.environ:
    yield
    return
  with tempfile.TemporaryDirectory(prefix="inductor_cache_") as d:
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = d
    try:
      yield
    finally:
      del os.environ["TORCHINDUCTOR_CACHE_DIR"]


def _time_calls(fn: Callable[[], Any], n: int) -> list[float]:
  times = []
  for _ in range(n):
    t = time.perf_counter()
    fn()
    times.append(time.perf_counter() - t)
  return times


def _fastest_torch_threads(torch_step, args) -> int:
  """Sets and returns the faster of 1 and all-core intra-op threads.

  On a loaded machine PyTorch's OpenMP threads spin at barriers waiting for
  descheduled peers, and one thread can be several times faster than two;
  the reference gets whichever is faster here and now.
  """
  if args.torch_threads > 0:
    torch.set_num_threads(args.torch_threads)
    return args.torch_threads
  best = None
  for n in sorted({1, os.cpu_count() or 1}):
    torch.set_num_threads(n)
    torch_step()
    t = statistics.median(_time_calls(torch_step, 3))
    if best is None or t < best[0]:
      best = (t, n)
  torch.set_num_threads(best[1])
  return best[1]


def compiled_torch_step(make_ref, t_batch, args):
  """``(step, warm-up s, note)`` of ``make_ref()``'s step under ``torch.compile``.

  Warm-up: calls until one compiles no new graph (at most 5: the second call
  recompiles the optimizers' steps, whose state the first call created); its
  seconds are those of the calls that compiled. Every network must have
  changed by then (a compiled step that trains nothing is no step). A step
  that fails either way gives ``(None, None, why)``, and the benchmark goes
  on.
  """
  torch._dynamo.reset()  # Compiled code is shared between instances.
  counters = torch._dynamo.utils.counters
  counters.clear()
  try:
    torch.manual_seed(0)
    ref = make_ref()
    nets = {k: m for k, m in vars(ref).items() if isinstance(m, torch.nn.Module)}
    before = {k: [p.detach().clone() for p in m.parameters()] for k, m in nets.items()}
    step = torch_reference.compile_step(ref, mode=args.torch_compile_mode,
                                        backend=args.torch_compile_backend)
    warmup_s = 0.0
    for _ in range(5):
      graphs = counters["stats"]["unique_graphs"]
      t = time.perf_counter()
      step(t_batch)
      if counters["stats"]["unique_graphs"] == graphs:
        break
      warmup_s += time.perf_counter() - t
  except Exception as e:  # pylint: disable=broad-except
    why = (str(e).strip().splitlines() or [""])[0][:120]
    return None, None, f"torch.compile failed: {type(e).__name__}: {why}"
  unchanged = [k for k, m in nets.items()
               if all(map(torch.equal, before[k], m.parameters()))]
  if unchanged:
    return None, None, f"torch.compile failed: the step left {unchanged} unchanged"
  return (lambda: step(t_batch)), warmup_s, (
      f"torch.compile: {counters['stats']['unique_graphs']} graphs, "
      f"{sum(counters['graph_break'].values())} graph breaks")


def bench_algorithm(name: str, kind: str, args) -> list[Row]:
  """Rows for one algorithm on ``kind`` ('mnist' or 'ring')."""
  c = _config(name, kind, args.base_features, args.batch_size)
  algo = algorithms.get(name)
  cfg = algorithms.from_mapping(algo.Config, c.model)
  nb = algo.num_batches(cfg)
  multi = args.multi_steps if kind == "ring" else 0
  host = _data(c, nb, max(1, multi))
  batch = jnp.asarray(host[0])
  key = jax.random.key(1)
  state = algo.init(jax.random.key(0), cfg, batch[0])

  # The compiled single step (state donated, as in the training loop).
  step = jax.jit(algo.train_step, donate_argnums=0)
  t = time.perf_counter()
  compiled = step.lower(state, batch, key).compile()
  compile_s = time.perf_counter() - t
  if _has_loop(algo.train_step, state, batch, key):
    flops = step_flops(algo.train_step, state, batch, key)
  else:
    flops = _flops(compiled)

  holder = {"state": state}

  def jax_step():
    holder["state"], m = compiled(holder["state"], batch, key)
    jax.block_until_ready((holder["state"], m))

  runners = [("jit", 1, jax_step, compile_s)]
  if multi > 1:
    batches = jnp.asarray(host)
    run = jax.jit(multistep.multi_step(algo.train_step, multi),
                  donate_argnums=0)
    t = time.perf_counter()
    compiled_multi = run.lower(holder["state"], batches, key).compile()
    multi_compile_s = time.perf_counter() - t

    def jax_multi():
      holder["state"], m = compiled_multi(holder["state"], batches, key)
      jax.block_until_ready((holder["state"], m))

    runners.append((f"scan x{multi}", multi, jax_multi, multi_compile_s))

  torch_step = compiled_step = warmup_s = None
  notes = []
  if torch_reference is not None and not args.no_torch:
    make_ref = lambda: torch_reference.make(name, cfg, host.shape[3:],
                                            args.batch_size)
    try:
      torch.manual_seed(0)
      ref = make_ref()
    except ValueError as e:  # No reference of this algorithm or setting.
      notes.append(str(e).split(";")[0])
    else:
      t_batch = torch_reference.to_torch_batches(host[0])
      torch_step = lambda: ref.step(t_batch)
      notes.append(f"torch threads {_fastest_torch_threads(torch_step, args)}")
      if not args.no_torch_compile:  # Compiled for the threads just set.
        compiled_step, warmup_s, note = compiled_torch_step(make_ref, t_batch, args)
        notes.append(note)

  # Warm-up, then interleaved rounds.
  torch_steps = [f for f in (torch_step, compiled_step) if f is not None]
  for _ in range(args.warmup):
    for _, _, fn, _ in runners:
      fn()
    for fn in torch_steps:
      fn()
  times = {label: [] for label, *_ in runners}
  torch_times = {fn: [] for fn in torch_steps}
  mm_times: list[float] = []
  graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"] if compiled_step else 0
  for _ in range(args.rounds):
    mm_times += jax_matmul_times(2)
    for label, per_call, fn, _ in runners:
      reps = max(1, args.repeats // per_call) if per_call > 1 else args.repeats
      times[label] += [t / per_call for t in _time_calls(fn, reps)]
    for fn in torch_steps:
      torch_times[fn] += _time_calls(fn, args.repeats)
  torch_ms, compiled_ms = (_median_ms(torch_times[f]) if f else None
                           for f in (torch_step, compiled_step))
  if compiled_step and torch._dynamo.utils.counters["stats"]["unique_graphs"] != graphs:
    notes.append("torch.compile recompiled while timed")

  rows = []
  for label, per_call, _, c_s in runners:
    rows.append(Row(name, f"{kind} ({label})", _median_ms(times[label]),
                    torch_ms, None if flops is None else flops / 1e9, c_s,
                    per_call, "; ".join(notes),
                    _gflops_of_matmul(statistics.median(mm_times)),
                    compiled_ms, warmup_s))
  return rows


# --------------------------------------------------------------- evaluation


def bench_evaluation(args) -> list[tuple[str, float, str]]:
  """``(what, seconds, note)`` for the evaluation metrics."""
  out = []
  rng = np.random.default_rng(0)
  f_real = rng.normal(size=(10_000, 2048)).astype(np.float32)
  f_fake = (0.5 * rng.normal(size=(10_000, 2048)) + 0.1).astype(np.float32)
  t = time.perf_counter()
  value = metrics.fid_from_features(f_real, f_fake)
  out.append(("Frechet distance, 10k x 2048 features (both Gaussian fits + "
              "distance)", time.perf_counter() - t, f"value {value:.4g}"))

  x = jnp.asarray(rng.normal(size=(4000, 2048)).astype(np.float32))
  y = jnp.asarray((rng.normal(size=(4000, 2048)) + 0.05).astype(np.float32))
  kernel = moment_matching.make_kernel("gaussian", (32.0, 64.0))
  mmd = jax.jit(lambda x, y: losses.mmd2(x, y, kernel))
  t = time.perf_counter()
  jax.block_until_ready(mmd(x, y))
  first = time.perf_counter() - t
  runs = _time_calls(lambda: jax.block_until_ready(mmd(x, y)), 3)
  out.append(("MMD^2 (unbiased, Gaussian kernel), 4k vs 4k samples x 2048",
              statistics.median(runs), f"first call incl. compile {first:.2f} s"))

  mixture = data.ring()
  samples = mixture.sample(np.random.default_rng(1), 100_000) if hasattr(
      mixture, "sample") else None
  if samples is None:
    comp = rng.integers(0, mixture.num_modes, 100_000)
    samples = mixture.means[comp] + mixture.std * rng.normal(size=(100_000, 2))
  t = time.perf_counter()
  cov = metrics.mode_coverage(samples, mixture.means, mixture.std)
  out.append(("Mode coverage, 100k samples, ring of 8", time.perf_counter() - t,
              f"{cov.modes_covered}/{cov.num_modes} modes"))
  return out


# -------------------------------------------------------------------- table


def _fmt(v, spec):
  return "n/a" if v is None else format(v, spec)


def _ratio(v):
  return "n/a" if v is None else f"{v:.2f}x"


def markdown(rows: list[Row], evals, info: dict) -> str:
  lines = [
      f"Device: {info['device']}; batch {info['batch_size']}, MNIST nets "
      f"with base_features={info['base_features']}; float32 matmul rate "
      f"(2048^3, JAX) measured during each algorithm's rounds (the share "
      f"column uses it; at the start: {info['matmul_gflops_by_framework']}); "
      f"load average {info['load_start']} (start) / {info['load_end']} (end).",
      "",
      "| algorithm | setting | step ms (JAX) | step ms (PyTorch) | PyTorch/JAX "
      "| step ms (torch.compile) | torch.compile/JAX "
      "| GFLOP/step | GFLOP/s | matmul GFLOP/s | share of matmul rate "
      "| compile s | torch.compile warm-up s | note |",
      "|---" * 14 + "|",
  ]
  for r in rows:
    g = r.gflops()
    lines.append(
        f"| {r.algorithm} | {r.setting} | {r.jax_ms:.2f} | "
        f"{_fmt(r.torch_ms, '.2f')} | {_ratio(r.ratio)} | "
        f"{_fmt(r.compiled_ms, '.2f')} | {_ratio(r.compiled_ratio)} | "
        f"{_fmt(r.gflop_per_step, '.3f')} | {_fmt(g, '.1f')} | "
        f"{_fmt(r.matmul_gflops, '.0f')} | "
        f"{_fmt(None if g is None or not r.matmul_gflops else 100 * g / r.matmul_gflops, '.0f')}% | "
        f"{r.compile_s:.1f} | {_fmt(r.compiled_warmup_s, '.1f')} | {r.note} |")
  if evals:
    lines += ["", "| evaluation | seconds | |", "|---|---|---|"]
    lines += [f"| {what} | {s:.3f} | {note} |" for what, s, note in evals]
  return "\n".join(lines)


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  p.add_argument("--algorithms", default=",".join(sorted(algorithms.REGISTRY)),
                 help="comma-separated names (default: the whole registry)")
  p.add_argument("--kinds", default="mnist,ring", help="mnist and/or ring")
  p.add_argument("--base_features", type=int, default=64)
  p.add_argument("--batch_size", type=int, default=64)
  p.add_argument("--multi_steps", type=int, default=100,
                 help="steps per compiled call for the toy MLPs (<= 1: off)")
  p.add_argument("--warmup", type=int, default=2)
  p.add_argument("--rounds", type=int, default=5)
  p.add_argument("--repeats", type=int, default=5)
  p.add_argument("--no_torch", action="store_true")
  p.add_argument("--torch_threads", type=int, default=0,
                 help="PyTorch intra-op threads (0: the faster of 1 and all "
                 "cores, chosen per algorithm)")
  p.add_argument("--no_torch_compile", action="store_true",
                 help="time PyTorch eager only")
  p.add_argument("--torch_compile_mode", default="default",
                 help="torch.compile's mode")
  p.add_argument("--torch_compile_backend", default="inductor",
                 help="torch.compile's backend ('aot_eager': traces the "
                 "same graphs, generates no code)")
  p.add_argument("--no_eval", action="store_true")
  p.add_argument("--json", default="")
  p.add_argument("--markdown", default="")
  args = p.parse_args(argv)

  names = [n for n in args.algorithms.split(",") if n]
  unknown = sorted(set(names) - set(algorithms.REGISTRY))
  if unknown:
    p.error(f"--algorithms: unknown {unknown}; valid: {sorted(algorithms.REGISTRY)}")
  kinds = [k for k in args.kinds.split(",") if k]
  if set(kinds) - {"mnist", "ring"}:
    p.error(f"--kinds must be a subset of mnist,ring; got {args.kinds!r}")

  info = {
      "device": (f"{jax.devices()[0].platform.upper()} "
                 f"({os.cpu_count()} cores, {platform.processor() or platform.machine()})"),
      "jax": jax.__version__,
      "torch": None if torch is None else torch.__version__,
      "torch_threads": None if torch is None else torch.get_num_threads(),
      "torch_compile_mode": args.torch_compile_mode,
      "torch_compile_backend": args.torch_compile_backend,
      "batch_size": args.batch_size,
      "base_features": args.base_features,
      "load_start": loadavg(),
  }
  rates = matmul_rates()
  info["matmul_gflops_by_framework"] = rates
  info["matmul_gflops"] = max(rates.values())
  print(f"# {info['device']}; matmul GFLOP/s {rates}; load {info['load_start']}",
        flush=True)

  rows: list[Row] = []
  compiling = torch is not None and not (args.no_torch or args.no_torch_compile)
  with _fresh_inductor_cache(compiling):
    for kind in kinds:
      for name in names:
        for row in bench_algorithm(name, kind, args):
          rows.append(row)
          print(f"{row.algorithm:12s} {row.setting:16s} jax {row.jax_ms:8.2f} ms"
                f"  torch {_fmt(row.torch_ms, '8.2f')} ms  ratio "
                f"{_fmt(row.ratio, '.2f')}  torch.compile "
                f"{_fmt(row.compiled_ms, '.2f')} ms ratio "
                f"{_fmt(row.compiled_ratio, '.2f')}  GFLOP "
                f"{_fmt(row.gflop_per_step, '.3f')}  compile {row.compile_s:.1f}s"
                f"  {row.note}  load {loadavg()}", flush=True)
  evals = [] if args.no_eval else bench_evaluation(args)
  info["load_end"] = loadavg()
  table = markdown(rows, evals, info)
  print()
  print(table)
  if args.markdown:
    with open(args.markdown, "w") as f:
      f.write(table + "\n")
  if args.json:
    with open(args.json, "w") as f:
      json.dump({"info": info,
                 "rows": [dict(dataclasses.asdict(r), ratio=r.ratio,
                               compiled_ratio=r.compiled_ratio,
                               gflops=r.gflops()) for r in rows],
                 "evaluation": [dict(what=w, seconds=s, note=n)
                                for w, s, n in evals]}, f, indent=1)


if __name__ == "__main__":
  main()
