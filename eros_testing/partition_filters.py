"""Check that every read of a partitioned table is bounded on its partition column.

BigQuery bills a query by the partitions it scans, and it prunes partitions only when the
filter on the partition column compares it with constants. The project rule (DOMAIN.md,
issue 3): every read of the source ``mass_messages`` filters ``sending_time`` from below
AND from above with constants. This module checks that rule on BigQuery SQL text with
sqlglot's BigQuery parser; the test tier applies it to the compiled project and to every
query the emulator received during a job run.

A reference to the table passes when it is a FROM/JOIN source of a SELECT whose WHERE
has, among its top-level AND conjuncts, a lower bound (``col >= c``, ``col > c``,
``c <= col``, ``col between c1 and c2``) and an upper bound (``col < c``, ``col <= c``,
...), or ``col IS NULL`` (only the NULL partition: issue 13 reads it to quarantine those
rows), where ``col`` is the partition column of that reference (qualified with its alias,
or unqualified when the SELECT reads only that table) and ``c`` is a constant: literals,
casts, typed literals and deterministic functions of literals (no column, no subquery,
no parameter, no CURRENT_* function, no unknown function). Anything else is reported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

import sqlglot
from sqlglot import exp

__all__ = ["UnboundedRead", "find_unbounded_reads", "is_constant"]

#: Functions whose value changes between runs: a bound built on them is not a constant.
_VOLATILE = (
    exp.CurrentTimestamp,
    exp.CurrentDate,
    exp.CurrentDatetime,
    exp.CurrentTime,
    exp.Rand,
)
#: Nodes that make an expression depend on data or on the caller.
_NOT_CONSTANT = (exp.Column, exp.Subquery, exp.Select, exp.Placeholder, exp.Parameter, exp.SessionParameter, exp.Anonymous)

_LOWER_OPS = (exp.GTE, exp.GT)  # col >= c, col > c
_UPPER_OPS = (exp.LTE, exp.LT)  # col <= c, col < c


@dataclasses.dataclass(frozen=True)
class UnboundedRead:
    """One reference to the table that is not bounded on the partition column.

    Attributes:
        statement: 0-based index of the statement in the checked SQL text.
        reference: the table reference as written (``project.dataset.table AS alias``).
        reason: why it fails (no WHERE, no lower bound, no upper bound, not in FROM/JOIN).
        context: the SELECT (or statement) holding the reference, shortened.
    """

    statement: int
    reference: str
    reason: str
    context: str

    def __str__(self) -> str:
        return f"statement {self.statement}: {self.reference}: {self.reason} -- in: {self.context}"


def is_constant(node: exp.Expression) -> bool:
    """True when ``node`` has a fixed value: no column, subquery, parameter, CURRENT_*,
    random or unknown (user-defined) function anywhere inside it."""
    for inner in node.walk():
        if isinstance(inner, _NOT_CONSTANT) or isinstance(inner, _VOLATILE):
            return False
    return True


def _conjuncts(node: exp.Expression) -> Iterator[exp.Expression]:
    """Top-level AND terms of a predicate (parentheses removed); OR stays one term."""
    if isinstance(node, exp.Paren):
        yield from _conjuncts(node.this)
    elif isinstance(node, exp.And):
        yield from _conjuncts(node.this)
        yield from _conjuncts(node.expression)
    else:
        yield node


def _is_partition_column(node: exp.Expression, column: str, qualifiers: set[str], unqualified_ok: bool) -> bool:
    if not isinstance(node, exp.Column) or node.name.lower() != column.lower():
        return False
    qualifier = node.table.lower()
    if not qualifier:
        return unqualified_ok
    return qualifier in qualifiers


def _bounds(where: exp.Where, column: str, qualifiers: set[str], unqualified_ok: bool) -> tuple[bool, bool]:
    """(has lower bound, has upper bound) of ``column`` among the WHERE's AND terms."""
    lower = upper = False

    def is_col(node: exp.Expression) -> bool:
        return _is_partition_column(node, column, qualifiers, unqualified_ok)

    for term in _conjuncts(where.this):
        if isinstance(term, exp.Is) and is_col(term.this) and isinstance(term.expression, exp.Null):
            # col IS NULL reads only the NULL partition
            lower = upper = True
            continue
        if isinstance(term, exp.Between) and is_col(term.this):
            if is_constant(term.args["low"]) and is_constant(term.args["high"]):
                lower = upper = True
            continue
        if not isinstance(term, _LOWER_OPS + _UPPER_OPS):
            continue
        left, right = term.this, term.expression
        if is_col(left) and is_constant(right):
            lower |= isinstance(term, _LOWER_OPS)
            upper |= isinstance(term, _UPPER_OPS)
        elif is_col(right) and is_constant(left):
            # c <= col is a lower bound, c >= col an upper one
            lower |= isinstance(term, _UPPER_OPS)
            upper |= isinstance(term, _LOWER_OPS)
    return lower, upper


def _matches(table: exp.Table, name: str, dataset: str | None) -> bool:
    if table.name.lower() != name.lower():
        return False
    return dataset is None or table.db.lower() == dataset.lower()


def _source_select(table: exp.Table) -> exp.Select | None:
    """The SELECT that reads ``table`` in its FROM or a JOIN (None: used elsewhere)."""
    child: exp.Expression = table
    parent = table.parent
    while parent is not None:
        if isinstance(parent, (exp.From, exp.Join)):
            select = parent.parent
            return select if isinstance(select, exp.Select) and child is parent.this else None
        if not isinstance(parent, (exp.Alias, exp.TableAlias)):
            return None
        child, parent = parent, parent.parent
    return None


def _short(node: exp.Expression, limit: int = 240) -> str:
    text = " ".join(node.sql(dialect="bigquery").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def find_unbounded_reads(
    sql: str,
    table: str,
    *,
    dataset: str | None = None,
    column: str = "sending_time",
) -> list[UnboundedRead]:
    """Every reference to ``[dataset.]table`` in ``sql`` that is not bounded on ``column``.

    Args:
        sql: BigQuery SQL: one statement or a script (DDL, DML, MERGE, scripting).
        table: table name to look for (``mass_messages``), case-insensitive.
        dataset: dataset the table must be in (``raw``); None matches any dataset.
        column: partition column that must be bounded (``sending_time``).

    Returns:
        One :class:`UnboundedRead` per failing reference; empty when all are bounded
        (or the table is not referenced).

    Raises:
        sqlglot.errors.ParseError / TokenError: the SQL does not parse as BigQuery; a
            read that cannot be checked is not assumed to be bounded.
    """
    findings: list[UnboundedRead] = []
    for index, statement in enumerate(sqlglot.parse(sql, read="bigquery")):
        if statement is None:
            continue
        for ref in statement.find_all(exp.Table):
            if not _matches(ref, table, dataset):
                continue
            reference = _short(ref, 120)
            select = _source_select(ref)
            if select is None:
                findings.append(UnboundedRead(index, reference, "not read as a FROM/JOIN source of a SELECT", _short(statement)))
                continue
            qualifiers = {ref.alias_or_name.lower(), ref.name.lower()}
            unqualified_ok = not select.args.get("joins")
            where = select.args.get("where")
            if where is None:
                findings.append(UnboundedRead(index, reference, f"no WHERE on {column}", _short(select)))
                continue
            lower, upper = _bounds(where, column, qualifiers, unqualified_ok)
            missing = [side for side, ok in (("lower", lower), ("upper", upper)) if not ok]
            if missing:
                findings.append(UnboundedRead(
                    index, reference, f"no constant {' and '.join(missing)} bound on {column} in the WHERE", _short(select)
                ))
    return findings


def unbounded_reads_in(named_sql: Iterable[tuple[str, str]], table: str, *, dataset: str | None = None,
                       column: str = "sending_time") -> dict[str, list[str]]:
    """:func:`find_unbounded_reads` over many ``(name, sql)`` pairs.

    Returns:
        ``{name: [finding text, ...]}`` for the names with findings; a SQL text that does
        not parse is reported as a finding too (it cannot be shown to be bounded).
    """
    problems: dict[str, list[str]] = {}
    for name, sql in named_sql:
        try:
            found = [str(f) for f in find_unbounded_reads(sql, table, dataset=dataset, column=column)]
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as exc:
            found = [f"does not parse as BigQuery SQL: {str(exc).splitlines()[0]}"] if table.lower() in sql.lower() else []
        if found:
            problems[name] = found
    return problems
