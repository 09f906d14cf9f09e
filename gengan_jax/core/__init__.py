"""The ground floor: what every other package of gengan_jax may build on.

* :mod:`.config`: typed config validation, :class:`ConfigError`, optimizers;
* :mod:`.train_state`: one network's state, the one update helper, and its repetition;
* :mod:`.keys`: named per-step keys (and one per repeated update) and the priors;
* :mod:`.contract`: what an algorithm is, and the base of its state;
* :mod:`.averaging`: a moving average of the parameters, to sample from.

Nothing here imports another package of the library.
"""

from gengan_jax.core.config import (ConfigError, OptimizerConfig, check, check_choice,
                                    check_int, check_keys, check_widths, from_mapping)
from gengan_jax.core.contract import (Algorithm, AlgorithmState, expect_batches, from_module,
                                      network_names, optimizer_field, single_batch)
from gengan_jax.core.keys import (gaussian_prior, per_update, sphere_prior, step_keys,
                                  uniform_prior)
from gengan_jax.core.train_state import (Net, TrainState, create, forward, minimize,
                                         minimize_jointly, repeat)

__all__ = ["Algorithm", "AlgorithmState", "ConfigError", "Net", "OptimizerConfig", "TrainState",
           "check", "check_choice", "check_int", "check_keys", "check_widths", "create",
           "expect_batches", "forward", "from_mapping", "from_module", "gaussian_prior",
           "minimize", "minimize_jointly", "network_names", "optimizer_field", "per_update",
           "repeat", "single_batch", "sphere_prior", "step_keys", "uniform_prior"]
