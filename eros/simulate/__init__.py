"""``eros simulate``: an offline evaluator of the caption policy (issue 12).

A planted world (:mod:`eros.simulate.world`) is written into DuckDB warehouses in the real
source schema (:mod:`eros.simulate.store`); the real caption-performance job runs at the
refresh cadence and builders send from each policy's lists (:mod:`eros.simulate.engine`,
:mod:`eros.simulate.policies`); :mod:`eros.simulate.output` prints the table, JSON and
the HTML chart.
"""

from eros.simulate.engine import SimulationConfig, SimulationError, SimulationResult, run_simulation
from eros.simulate.world import WorldConfig

__all__ = ["SimulationConfig", "SimulationError", "SimulationResult", "WorldConfig", "run_simulation"]
