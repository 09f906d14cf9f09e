r"""Population step time against P sequential single-run steps.

For each algorithm and population size P it times, interleaved round by
round (so that both see the same machine load):

* the population's compiled step (:class:`gengan_jax.train.population.PopulationExperiment`:
  P members of the config, seeds ``0 .. P-1``, one ``vmap``-ed program);
* P calls of the single run's compiled step (what P separate runs cost on
  one device, run one after the other);

each on batches built beforehand (the device step alone; the host's batch
making is timed apart: each member reads its own data, as its single run
would). The table gives medians over ``--rounds`` x ``--repeats`` calls and
the speed-up of the population. Run from the repository root::

  python -m experiments.benchmarks.population --algorithms=gan,alpha_gan \
      --sizes=1,4,16,64 [--batching=map,vmap] [--variant=ring] [--markdown=out.md]

On a GPU, ``--sizes=1,16,256 --batching=vmap``.

Timings are never asserted by the test suite; this prints a table.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import statistics
import time

import jax
import ml_collections

from gengan_jax.train.experiment import Experiment
from gengan_jax.train.population import PopulationExperiment


def _config(algorithm: str, variant: str, size: int | None, batching: str = "auto"):
  module = importlib.import_module(f"experiments.configs.{algorithm}")
  c = module.get_config(variant)
  c.seed = 0
  c.train.progress = False
  if size is not None:
    c.population = ml_collections.ConfigDict({"seeds": size, "batching": batching})
  return c


def _block(tree) -> None:
  jax.block_until_ready(tree)


def measure(algorithm: str, variant: str, size: int, batching: str, *, rounds: int,
            repeats: int, devices, changes: dict | None = None) -> dict:
  """The medians (ms) of one population step and of ``size`` sequential steps
  (``changes``: ``{section: {key: value}}`` applied to both configs)."""
  configs = [_config(algorithm, variant, size, batching), _config(algorithm, variant, None)]
  for c in configs:
    for section, values in (changes or {}).items():
      c[section].update(values)
  pop = PopulationExperiment(configs[0], devices=devices)
  single = Experiment(configs[1], devices=devices)
  t = time.perf_counter()
  batches = pop.batches(0)
  _block(batches)
  host_ms = 1e3 * (time.perf_counter() - t)
  state, status = pop.init_state(), pop.initial_status()
  singles = [single.init_state() for _ in range(size)]
  batch = single.batch(0)
  skipped = jax.numpy.zeros((), jax.numpy.int32)
  t = time.perf_counter()
  state, _, status = pop.step(state, batches, status)
  _block(state)
  compile_s = time.perf_counter() - t
  for i in range(size):
    singles[i], _, _ = single._step(singles[i], batch, single.run_key, skipped)  # pylint: disable=protected-access
  _block(singles)
  pop_ms, seq_ms = [], []
  for _ in range(rounds):
    for _ in range(repeats):
      t = time.perf_counter()
      state, _, status = pop.step(state, batches, status)
      _block(state)
      pop_ms.append(1e3 * (time.perf_counter() - t))
    for _ in range(repeats):
      t = time.perf_counter()
      for i in range(size):
        singles[i], _, _ = single._step(singles[i], batch, single.run_key, skipped)  # pylint: disable=protected-access
      _block(singles)
      seq_ms.append(1e3 * (time.perf_counter() - t))
  p, s = statistics.median(pop_ms), statistics.median(seq_ms)
  return {"algorithm": algorithm, "variant": variant, "P": size, "batching": pop.batching,
          "population_ms": p,
          "sequential_ms": s, "speedup": s / p, "per_member_ms": p / size,
          "single_step_ms": s / size, "compile_s": compile_s, "host_batches_ms": host_ms}


def table(rows: list[dict]) -> str:
  out = ["| algorithm | data | P | batching | population step (ms) | P sequential steps (ms) | "
         "speed-up | ms per member | compile (s) | host batches (ms) |",
         "|---|---|---|---|---|---|---|---|---|---|"]
  for r in rows:
    out.append(f"| {r['algorithm']} | {r['variant']} | {r['P']} | {r['batching']} | "
               f"{r['population_ms']:.2f} | "
               f"{r['sequential_ms']:.2f} | {r['speedup']:.2f}x | {r['per_member_ms']:.3f} | "
               f"{r['compile_s']:.1f} | {r['host_batches_ms']:.1f} |")
  return "\n".join(out)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--algorithms", default="gan,alpha_gan")
  parser.add_argument("--sizes", default="1,4,16,64")
  parser.add_argument("--variant", default="ring")
  parser.add_argument("--batching", default="map,vmap",
                      help="population.batching values to measure (map, vmap, auto)")
  parser.add_argument("--rounds", type=int, default=5)
  parser.add_argument("--repeats", type=int, default=5)
  parser.add_argument("--markdown", default=None)
  args = parser.parse_args()
  devices = jax.devices()[:1]
  rows = []
  for algorithm in args.algorithms.split(","):
    for size in (int(s) for s in args.sizes.split(",")):
      for batching in args.batching.split(","):
        rows.append(measure(algorithm, args.variant, size, batching, rounds=args.rounds,
                            repeats=args.repeats, devices=devices))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
  text = (f"{jax.devices()[0].device_kind} ({platform.processor() or platform.machine()}), "
          f"jax {jax.__version__}, one device; medians of {args.rounds} x {args.repeats} "
          "calls, interleaved\n\n" + table(rows))
  print("\n" + text)
  if args.markdown:
    with open(args.markdown, "w") as f:
      f.write(text + "\n")


if __name__ == "__main__":
  main()
