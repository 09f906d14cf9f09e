r"""Hyper-parameter sweeps, and the alpha-GAN paper's report of them.

GAN results swing with seeds and settings, so Rosca et al. (2017, Figures 2
and 5) report each model as the spread of a whole sweep: a box plot per
model and metric, with the ten best jobs marked. This runs such a sweep and
writes that report.

Run (one algorithm; repeat per algorithm, then report them together)::

  python -m experiments.sweep run --config=experiments/configs/alpha_gan.py:grid \
      --workdir=sweeps/alpha_gan --seeds=3 \
      --values=model.generator_optimizer.learning_rate=1e-4,3e-4,1e-3 \
      --values=model.lambda_generator=1,10 \
      --values="model.hidden=(128,128,128)|(256,256,256)" [--random=N] \
      [--set=train.steps=5000]

  python -m experiments.sweep report --workdir=sweeps/alpha_gan \
      --workdir=sweeps/dcgan --out=docs/sweeps/grid

``--values=<path>=<v1>,<v2>,...`` lists the values of one setting (a
comma inside brackets belongs to its value, so ``(8,8),(16,16)`` and
``(8,8)|(16,16)`` are two tuples and ``(8,8)`` is one). Settings a
population can vary (float settings of the model and learning rates that
the algorithm's step traces as arrays; see
:mod:`gengan_jax.train.population_spec`) become a population: one compiled
program per combination of the other settings (which change shapes or
control flow, so each is a separate run). ``--random=N`` draws N settings
instead of the grid: a float given as ``lo:hi`` is drawn log-uniformly,
a list uniformly. Every setting is trained with ``--seeds`` seeds.

The report (``<out>/report.md`` and one ``<out>/<metric>.png`` per metric):

* per metric, a box plot per algorithm over every job (member) of its
  sweep, the ten best jobs drawn as dots (Rosca et al. 2017, Fig. 2);
* the quartile table (min, Q1, median, Q3, max, jobs);
* per algorithm, its best setting (the best mean over seeds of the first
  metric) with mean +- sd over its seeds for every metric.

Toy mixtures are scored by the runs themselves (``summary.json``: modes,
high-quality share, reverse KL); image runs by ``python -m
experiments.evaluate`` (``evaluation.json``), run on the sweep's work
directories first.
"""

from __future__ import annotations

import argparse
import ast
import collections
import copy
import itertools
import json
import math
import os
import sys

import numpy as np

from experiments.summarize import mean_sd

# The mixtures' scores, and whether higher is better.
MIXTURE_METRICS = {"modes_covered": True, "high_quality_fraction": True, "reverse_kl": False}
BEST_MARKED = 10  # Rosca et al. mark the ten best jobs of each model.


# -- the sweep's settings -------------------------------------------------------


def _top_level_items(raw: str) -> list[str]:
  """``raw`` split at the commas outside brackets: ``'(1,2),(3,4)'`` -> two items."""
  items, depth, start = [], 0, 0
  for i, ch in enumerate(raw):
    depth += ch in "([{"
    depth -= ch in ")]}"
    if ch == "," and depth == 0:
      items.append(raw[start:i])
      start = i + 1
  return items + [raw[start:]]


def parse_values(text: str) -> tuple[str, list]:
  """``'model.x=1,2'`` -> ``('model.x', [1, 2])``; ``'a=(1,2)|(3,4)'`` (or
  ``'a=(1,2),(3,4)'``) -> ``('a', [(1, 2), (3, 4)])``; ``'a=(8,8)'`` ->
  ``('a', [(8, 8)])``; ``'a=1e-5:1e-3'`` -> ``('a', ['1e-5:1e-3'])`` (a
  range, for ``--random``)."""
  if "=" not in text:
    raise SystemExit(f"error: --values={text!r} must be <config path>=<v1>,<v2>,...")
  path, raw = text.split("=", 1)
  items = raw.split("|") if "|" in raw else _top_level_items(raw)
  values = []
  for item in items:
    item = item.strip()
    try:
      values.append(ast.literal_eval(item))
    except (ValueError, SyntaxError):
      values.append(item)
  return path, values


def _is_range(values: list) -> bool:
  return len(values) == 1 and isinstance(values[0], str) and ":" in values[0]


def settings(values: dict[str, list], *, random: int = 0, seed: int = 0) -> list[dict]:
  """The sweep's settings: the grid of ``values``, or ``random`` draws."""
  paths = list(values)
  if not random:
    for p in paths:
      if _is_range(values[p]):
        raise SystemExit(f"error: --values={p}={values[p][0]} is a range; ranges need "
                         "--random=N (a grid needs a list).")
    return [dict(zip(paths, c)) for c in itertools.product(*(values[p] for p in paths))]
  rng = np.random.default_rng(seed)
  out = []
  for _ in range(random):
    s = {}
    for p in paths:
      v = values[p]
      if _is_range(v):
        lo, hi = (float(x) for x in v[0].split(":"))
        s[p] = float(np.exp(rng.uniform(math.log(lo), math.log(hi))))
      else:
        s[p] = v[int(rng.integers(len(v)))]
    out.append(s)
  return out


def _continuous(algorithm: str, chosen: list[dict], config) -> set[str]:
  """The settings of ``chosen`` a population can vary (the rest are separate runs):
  floats of the model and learning rates (:func:`.population_spec.check_varying`)
  that the algorithm's init and step also trace as arrays (:func:`_traces`: a
  float baked into an optimizer or a layer, WGAN's ``clip`` for one, cannot)."""
  from gengan_jax import algorithms  # pylint: disable=g-import-not-at-top
  from gengan_jax.core import ConfigError  # pylint: disable=g-import-not-at-top
  from gengan_jax.train import population_spec  # pylint: disable=g-import-not-at-top
  algo = algorithms.get(algorithm)
  out = set()
  for p in chosen[0] if chosen else ():
    if not p.startswith("model."):
      continue
    try:
      population_spec.check_varying(algo.Config, p[len("model."):])
      out.add(p)
    except ConfigError:
      pass
  if out and not _traces(config, out, chosen):
    out = {p for p in out if _traces(config, {p}, chosen)}
  return out


def _traces(config, paths: set[str], chosen: list[dict]) -> bool:
  """Whether one population program can hold ``chosen``'s values of ``paths``: the
  population's own check (it traces init and step once, no compilation). Where the
  check cannot be made here (the data is not on this machine, say), ``True``: the
  run itself then reports what stops it, in one line."""
  import jax  # pylint: disable=g-import-not-at-top
  import ml_collections  # pylint: disable=g-import-not-at-top
  from gengan_jax.core import ConfigError  # pylint: disable=g-import-not-at-top
  from gengan_jax.train.population import PopulationExperiment  # pylint: disable=g-import-not-at-top
  c = copy.deepcopy(config)
  c.population = ml_collections.ConfigDict(dict(mode="list", seeds=",".join("0" for _ in chosen)))
  c.population.model = ml_collections.ConfigDict()
  for p in sorted(paths):
    _set_population_value(c.population.model, p, [s[p] for s in chosen])
  try:
    PopulationExperiment(c, devices=jax.devices()[:1])
  except ConfigError as e:
    return "cannot vary inside one compiled program" not in str(e)
  return True


def _set_population_value(model, path: str, values: list) -> None:
  """``population.model.<path> = 'v1,v2,...'`` (``path`` starts with ``model.``)."""
  import ml_collections  # pylint: disable=g-import-not-at-top
  node = model
  *heads, last = path[len("model."):].split(".")
  for h in heads:
    if h not in node:
      node[h] = ml_collections.ConfigDict()
    node = node[h]
  node[last] = ",".join(repr(float(v)) for v in values)


def _set(config, path: str, value) -> None:
  """``config.<path> = value`` (a new key is added); a missing section or a
  value of the wrong type is one line."""
  node = config
  *heads, last = path.split(".")
  try:
    for h in heads:
      node = node[h]
    if isinstance(node.get(last), bool) and str(value).lower() in ("true", "false"):
      value = str(value).lower() == "true"  # as the --config.<path>=false flags take it
    node[last] = value
  except KeyError:
    raise SystemExit(f"error: the config has no {path!r} (no section {h!r}).") from None
  except TypeError:
    current = node[last]
    if isinstance(current, bool):
      hint = f"a bool is --set={path}=true or --values={path}=false,true"
    elif isinstance(current, tuple):
      hint = f"a tuple is --set={path}=(8,8) or --values={path}=(8,8),(16,16)"
    else:
      hint = f"give a {type(current).__name__} (or None), e.g. --set={path}={current!r}"
    raise SystemExit(f"error: {path}={value!r} ({type(value).__name__}) does not fit the "
                     f"config's {path}={node[last]!r} ({type(node[last]).__name__}); "
                     f"{hint}.") from None


def plan(config, values: dict[str, list], *, seeds: int,
         random: int = 0) -> list[tuple[str, object]]:
  """``[(run name, experiment config with a population), ...]`` of a sweep."""
  import ml_collections  # pylint: disable=g-import-not-at-top
  chosen = settings(values, random=random, seed=int(config.seed))
  continuous = _continuous(config.algorithm, chosen, config)
  groups: dict[tuple, list[dict]] = collections.OrderedDict()
  for s in chosen:
    key = tuple((p, repr(v)) for p, v in s.items() if p not in continuous)
    groups.setdefault(key, []).append(s)
  runs = []
  for n, (key, members) in enumerate(groups.items()):
    c = copy.deepcopy(config)
    for p, v in members[0].items():
      if p not in continuous:
        _set(c, p, tuple(v) if isinstance(v, list) else v)
    population = ml_collections.ConfigDict()
    population.mode = "list"
    population.seeds = ",".join(str(int(config.seed) + i) for _ in members
                                for i in range(seeds))
    model = ml_collections.ConfigDict()
    for p in sorted(continuous):
      _set_population_value(model, p, [m[p] for m in members for _ in range(seeds)])
    population.model = model
    c.population = population
    name = "run%02d" % n + "".join(f"_{p.split('.')[-1]}={v}" for p, v in key)
    runs.append((name.replace(" ", "").replace("'", ""), c))
  return runs


def _load_config(spec: str):
  from gengan_jax.train.cli import load_config  # pylint: disable=g-import-not-at-top
  return load_config(spec)


def run(args) -> None:
  from gengan_jax.train import loop, preemption  # pylint: disable=g-import-not-at-top
  config = _load_config(args.config)
  for item in args.set or []:
    path, _, raw = item.partition("=")
    try:
      value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
      value = raw
    _set(config, path, value)
  config.train.progress = False
  values = dict(parse_values(v) for v in args.values or [])
  runs = plan(config, values, seeds=args.seeds, random=args.random)
  os.makedirs(args.workdir[0], exist_ok=True)
  for n, (name, c) in enumerate(runs):
    workdir = os.path.join(args.workdir[0], name)
    print(f"{name}: {len(c.population.seeds.split(','))} members", flush=True)
    summary, _ = loop.train(c, workdir)
    if summary["preempted"]:
      print(f"Preempted by {summary['preempted_by']}: {name} stopped after step "
            f"{summary['step']} and saved a checkpoint in {summary['checkpoints']}; "
            f"{len(runs) - n - 1} of {len(runs)} run(s) not started. Run the same command "
            "to resume.", flush=True)
      sys.exit(preemption.EXIT_CODE)
  print(f"\nDone: {len(runs)} run(s) in {args.workdir[0]}; report with\n  python -m "
        f"experiments.sweep report --workdir={args.workdir[0]} --out=<folder>")


# -- the report -----------------------------------------------------------------


def _flat(tree, prefix: str = "") -> dict[str, float]:
  out = {}
  for k, v in tree.items():
    if isinstance(v, dict):
      out.update(_flat(v, f"{prefix}{k}/"))
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
      out[prefix + k] = float(v)
  return out


def higher_is_better(metric: str) -> bool:
  if metric in MIXTURE_METRICS:
    return MIXTURE_METRICS[metric]
  name = metric.lower()
  return not any(w in name for w in ("fid", "kid", "kl", "error", "loss", "distance", "nll"))


def jobs(workdir: str) -> list[dict]:
  """Every member of every population under ``workdir``: its algorithm,
  setting (run + values), seed and scores."""
  out = []
  for root, _, files in sorted(os.walk(workdir)):
    if "summary.json" not in files or os.path.basename(os.path.dirname(root)) != "members":
      continue
    with open(os.path.join(root, "summary.json")) as f:
      s = json.load(f)
    scores = {k: float(v) for k, v in (s.get("evaluation") or {}).items()
              if k in MIXTURE_METRICS}
    path = os.path.join(root, "evaluation.json")
    if os.path.isfile(path):
      with open(path) as f:
        e = json.load(f)
      scores.update({k: v for k, v in _flat(e).items()
                     if k not in ("step", "seconds") and not k.startswith("settings/")})
    if s.get("stopped"):
      scores = {}
    run_name = os.path.basename(os.path.dirname(os.path.dirname(root)))
    setting = run_name.split("_", 1)[1] if "_" in run_name else ""
    values = ",".join(f"{k.replace('_optimizer.learning_rate', ' lr')}={v:g}"
                      for k, v in sorted(s["values"].items()))
    out.append({"algorithm": s["algorithm"], "data": s["data"], "seed": s["seed"],
                "setting": ",".join(x for x in (setting, values) if x), "scores": scores,
                "workdir": root})
  return out


def quartiles(values: list[float]) -> tuple[float, ...]:
  v = np.asarray(values, np.float64)
  v = v[np.isfinite(v)]
  if not len(v):
    return (math.nan,) * 5
  return tuple(float(x) for x in np.percentile(v, [0, 25, 50, 75, 100]))


def best_jobs(all_jobs: list[dict], metric: str, k: int = BEST_MARKED) -> list[dict]:
  scored = [j for j in all_jobs if metric in j["scores"] and np.isfinite(j["scores"][metric])]
  sign = -1.0 if higher_is_better(metric) else 1.0
  return sorted(scored, key=lambda j: sign * j["scores"][metric])[:k]


def best_setting(all_jobs: list[dict], metric: str) -> tuple[str, list[dict]]:
  """The setting with the best mean of ``metric`` over its seeds, and its jobs."""
  by: dict[str, list[dict]] = collections.defaultdict(list)
  for j in all_jobs:
    by[j["setting"]].append(j)
  sign = -1.0 if higher_is_better(metric) else 1.0

  def mean(js):
    v = [j["scores"].get(metric, math.nan) for j in js]
    v = np.asarray(v, np.float64)
    return math.inf if not np.isfinite(v).all() else sign * float(v.mean())

  name = min(by, key=lambda s: mean(by[s]))
  return name, by[name]


def box_plot(path: str, metric: str, by_algorithm: dict[str, list[dict]]) -> None:
  """One box per algorithm over its jobs, the best ten as dots (Rosca et al. Fig. 2)."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  names = sorted(by_algorithm)
  data = []
  for a in names:
    v = np.asarray([j["scores"].get(metric, np.nan) for j in by_algorithm[a]], np.float64)
    data.append(v[np.isfinite(v)])
  fig, ax = plt.subplots(figsize=(1.2 * len(names) + 2, 3.5), dpi=110)
  ax.boxplot(data, tick_labels=names, showfliers=True)
  for i, a in enumerate(names):
    best = [j["scores"][metric] for j in best_jobs(by_algorithm[a], metric)]
    ax.scatter(np.full(len(best), i + 1.3) + np.linspace(-0.05, 0.05, len(best)), best,
               c="tab:red", s=12, zorder=3, label="best 10 jobs" if i == 0 else None)
  ax.set_ylabel(metric + (" (higher is better)" if higher_is_better(metric) else
                          " (lower is better)"))
  ax.legend(fontsize=8)
  ax.set_title(f"{metric} over each sweep", fontsize=9)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)


def report(workdirs: list[str], out: str | None) -> str:
  all_jobs = [j for w in workdirs for j in jobs(w)]
  if not all_jobs:
    raise SystemExit(f"error: no finished population members under {', '.join(workdirs)}.")
  by_algorithm: dict[str, list[dict]] = collections.defaultdict(list)
  for j in all_jobs:
    by_algorithm[f"{j['algorithm']} ({j['data']})"].append(j)
  metrics = [m for m in MIXTURE_METRICS if any(m in j["scores"] for j in all_jobs)]
  metrics += sorted({m for j in all_jobs for m in j["scores"]} - set(metrics))
  lines = ["## Quartiles over each sweep", "",
           "| algorithm | metric | min | Q1 | median | Q3 | max | jobs (stopped) |",
           "|---|---|---|---|---|---|---|---|"]
  for a in sorted(by_algorithm):
    js = by_algorithm[a]
    stopped = sum(1 for j in js if not j["scores"])
    for m in metrics:
      q = quartiles([j["scores"][m] for j in js if m in j["scores"]])
      lines.append(f"| {a} | {m} | " + " | ".join(f"{x:.3g}" for x in q)
                   + f" | {len(js)} ({stopped}) |")
  lines += ["", f"## Best setting (best mean {metrics[0]} over seeds)", "",
            "| algorithm | setting | seeds | " + " | ".join(metrics) + " |",
            "|---|---|---|" + "---|" * len(metrics)]
  for a in sorted(by_algorithm):
    name, js = best_setting(by_algorithm[a], metrics[0])
    cells = [mean_sd([j["scores"].get(m, math.nan) for j in js], ".3g") for m in metrics]
    lines.append(f"| {a} | {name or '(base)'} | {len(js)} | " + " | ".join(cells) + " |")
  lines += ["", "## Every setting (mean ± sd over its seeds)", "",
            "| algorithm | setting | seeds | " + " | ".join(metrics) + " |",
            "|---|---|---|" + "---|" * len(metrics)]
  for a in sorted(by_algorithm):
    by: dict[str, list[dict]] = collections.defaultdict(list)
    for j in by_algorithm[a]:
      by[j["setting"]].append(j)
    for name, js in by.items():
      cells = [mean_sd([j["scores"].get(m, math.nan) for j in js], ".3g") for m in metrics]
      lines.append(f"| {a} | {name or '(base)'} | {len(js)} | " + " | ".join(cells) + " |")
  text = "\n".join(lines)
  if out:
    os.makedirs(out, exist_ok=True)
    pictures = []
    for m in metrics:
      path = os.path.join(out, m.replace("/", "_") + ".png")
      box_plot(path, m, by_algorithm)
      pictures.append(path)
    with open(os.path.join(out, "report.md"), "w") as f:
      f.write(text + "\n\n" + "\n".join(f"![{os.path.basename(p)}]({os.path.basename(p)})"
                                        for p in pictures) + "\n")
  return text


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("command", choices=("run", "report"))
  parser.add_argument("--config", help="run: <config file>[:variant]")
  parser.add_argument("--workdir", action="append", required=True)
  parser.add_argument("--values", action="append", help="run: <path>=<v1>,<v2>,...")
  parser.add_argument("--set", action="append", help="run: <path>=<value> for every run")
  parser.add_argument("--seeds", type=int, default=3)
  parser.add_argument("--random", type=int, default=0)
  parser.add_argument("--out", default=None, help="report: folder for report.md and plots")
  args = parser.parse_args(argv)
  if args.command == "run":
    if not args.config:
      sys.exit("error: sweep run needs --config=<config file>[:variant].")
    from gengan_jax.train.cli import user_errors  # pylint: disable=g-import-not-at-top
    try:
      run(args)
    except user_errors() as e:
      sys.exit(f"error: {e}")
  else:
    print(report(args.workdir, args.out))


if __name__ == "__main__":
  main()
