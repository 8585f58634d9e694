"""``eros simulate``: an offline evaluator of the caption policy (issue 12).

A planted world (:mod:`eros.simulate.world`) is written into DuckDB warehouses in the real
source schema (:mod:`eros.simulate.store`); the real caption-performance job runs at the
refresh cadence and builders send from each policy's lists (:mod:`eros.simulate.engine`,
:mod:`eros.simulate.policies`); :mod:`eros.simulate.output` prints the table, JSON and
the HTML chart.

Import from the modules (eros.simulate.engine, eros.simulate.world, ...): this package
module imports nothing, so importing a submodule never runs an import cycle through it.
"""
