"""One network of a trained run alone, in a small file: Flax's msgpack.

:func:`export_network` writes the variables of one network (by default the
generator, a VAE's decoder or a flow: what ``sample`` maps noise through) as
``flax.serialization.msgpack_serialize`` of ``{'params': ..., <collections>}``
-- batch-norm statistics (``'batch_stats'``) and any other collection the
network keeps -- with a JSON record beside it (``<file>.json``): the
algorithm, the network, the run's ``model`` section, the data shape, the
step and how to call the module. The parameters need nothing of
gengan_jax to read::

  import flax.serialization
  variables = flax.serialization.msgpack_restore(open("generator.msgpack", "rb").read())

and :func:`load_exported` also rebuilds the Flax module, so that::

  module, variables = load_exported("generator.msgpack")
  x = module.apply(variables, z, train=False)   # z: [N, latent_dim]

draws what the run's ``sample`` draws from the same ``z`` (batch norm with
its running statistics, as in sampling).
"""

from __future__ import annotations

import json
import os
from typing import Any

import flax.serialization
import jax
import ml_collections
import numpy as np

from gengan_jax import algorithms
from gengan_jax.core import network_names
from gengan_jax.use.loading import TrainedModel, abstract_state

#: The networks ``sample`` maps noise through, in the order looked for.
SAMPLING_NETWORKS = ("generator", "decoder", "flow")
FORMAT = "gengan_jax.export/1"


def sampling_network(state: Any) -> str:
  """The name of the network ``sample`` maps noise through (see
  :data:`SAMPLING_NETWORKS`).

  Raises:
    ValueError: the state has none of them.
  """
  names = network_names(state)
  for name in SAMPLING_NETWORKS:
    if name in names:
      return name
  raise ValueError(f"no generator, decoder or flow among the networks {list(names)}; "
                   "pass network= one of them.")


def export_network(model: TrainedModel, path: str, *, network: str | None = None) -> str:
  """Writes one network's variables to ``path`` (msgpack) and ``path + '.json'``.

  Args:
    model: a loaded run (:func:`gengan_jax.use.load`).
    path: the file to write (replaced if it exists; ``.msgpack`` by custom).
    network: which network (default: :func:`sampling_network`).

  Returns:
    ``path``.

  Raises:
    ValueError: ``network`` is not one of the run's networks.
    OSError: a file cannot be written (nothing half-written is left).
  """
  names = network_names(model.state)
  network = sampling_network(model.state) if network is None else network
  if network not in names:
    raise ValueError(f"network={network!r} is not a network of {model.name}; its networks: "
                     f"{', '.join(names)}.")
  net = getattr(model.state, network)
  variables = {"params": net.params, **net.collections}
  blob = flax.serialization.msgpack_serialize(
      jax.tree.map(np.asarray, flax.serialization.to_state_dict(jax.device_get(variables))))
  latent_dim = getattr(model.state.config, "latent_dim", None)
  record = {
      "format": FORMAT, "algorithm": model.name, "network": network,
      "model": model.config.model.to_dict(), "data_shape": list(model.data_shape),
      "latent_dim": latent_dim, "step": model.step, "workdir": model.workdir,
      "module": repr(net.apply_fn.__self__),
      "call": "module.apply(variables, z, train=False)",
  }
  for target, content, mode in ((path, blob, "wb"),
                                (path + ".json", json.dumps(record, indent=1), "w")):
    partial = target + ".partial"
    try:
      with open(partial, mode) as f:
        f.write(content)
      os.replace(partial, target)
    finally:
      if os.path.exists(partial):
        os.remove(partial)
  return path


def load_exported(path: str) -> tuple[Any, dict[str, Any]]:
  """Reads a file of :func:`export_network`: ``(module, variables)``.

  The module is rebuilt from the record beside the file (``path + '.json'``)
  as the algorithm's ``init`` builds it; the variables are read with Flax's
  ``msgpack_restore``.

  Raises:
    FileNotFoundError: ``path`` or its record is missing.
    ValueError: the record is not one of :func:`export_network`.
  """
  record_path = path + ".json"
  for p in (path, record_path):
    if not os.path.isfile(p):
      raise FileNotFoundError(f"load_exported: {p} does not exist (written by "
                              "export_network / `gengan-use export`: the file and its .json).")
  with open(record_path) as f:
    record = json.load(f)
  if record.get("format") != FORMAT:
    raise ValueError(f"load_exported: {record_path} is not a record of export_network "
                     f"(format {record.get('format')!r}, expected {FORMAT!r}).")
  algorithm = algorithms.get(record["algorithm"])
  algo_config = algorithms.from_mapping(algorithm.Config, ml_collections.ConfigDict(
      record["model"]), prefix="model.")
  sharding = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
  abstract = abstract_state(algorithm.init, algo_config, 1, tuple(record["data_shape"]), sharding)
  module = getattr(abstract, record["network"]).apply_fn.__self__
  with open(path, "rb") as f:
    variables = flax.serialization.msgpack_restore(f.read())
  return module, variables
