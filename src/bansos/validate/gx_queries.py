"""Ask PostgreSQL for a rule's unexpected rows only when the rule has some.

With the SUMMARY result format and index columns, GX computes three things for every column rule: its
unexpected count (one aggregate, which GX bundles with every other rule's into one scan of the checked
table), its first unexpected values and its first unexpected rows' index columns (two more queries per
rule, each ``SELECT ... WHERE <unexpected> LIMIT 5``). For a rule that holds, those two queries find
nothing, and to find nothing they read the whole table: at 1,000,000 rows and 52 rules about a hundred
full scans, most of validate's time (issue 14, docs/decisions.md).

The three share one condition (the rule's ``<map metric>.condition``) over the same rows, so when the
count is 0 both lists are empty. GX offers the two lists in the same round as the count's aggregate
expression, one round before it runs the bundled query for the counts. :func:`install` wraps the SQL
execution engine's ``resolve_metrics``: it leaves such lists unresolved for one round (GX offers them
again, beside the counts), resolves the counts first, and answers the two lists of a rule whose count is
0 with what GX's own queries return for no rows (``[]``). Rules with unexpected rows, and any list whose
count is not known by then, are queried as before. The results, the Data Docs, the rule results and the
correction lists are therefore the same as without it (tests/validate, tests/alert, tests/publish).
"""

from __future__ import annotations

LISTS = ("unexpected_values", "unexpected_index_list")
SHIPPED = None  # GX's own resolve_metrics, once install() wrapped it


def _count_ids(metric):
    """The ids of the rule's unexpected count and of the aggregate GX bundles it from."""
    from great_expectations.validator.metric_configuration import MetricConfiguration

    base = metric.metric_name.rsplit(".", 1)[0]
    value_kwargs = {k: v for k, v in (metric.metric_value_kwargs or {}).items() if k != "result_format"}
    return tuple(
        MetricConfiguration(f"{base}.{name}", metric.metric_domain_kwargs, value_kwargs).id
        for name in ("unexpected_count", "unexpected_count.aggregate_fn")
    )


def _empty(metric):
    """What GX's query returns for a rule without unexpected rows (see its SQL list metrics)."""
    if metric.metric_name.endswith(".unexpected_index_list"):
        result_format = (metric.metric_value_kwargs or {}).get("result_format") or {}
        return [] if "unexpected_index_column_names" in result_format else None
    return []


def install() -> None:
    """Wrap ``SqlAlchemyExecutionEngine.resolve_metrics`` once per process (idempotent)."""
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    if getattr(SqlAlchemyExecutionEngine, "_bansos_lists_when_unexpected", False):
        return
    global SHIPPED
    resolve_all = SHIPPED = SqlAlchemyExecutionEngine.resolve_metrics

    def resolve_metrics(self, metrics_to_resolve, metrics=None, runtime_configuration=None):
        todo = list(metrics_to_resolve)
        lists = [m for m in todo if m.metric_name.rsplit(".", 1)[-1] in LISTS]
        if not lists:
            return resolve_all(self, todo, metrics, runtime_configuration)
        rest = [m for m in todo if m.metric_name.rsplit(".", 1)[-1] not in LISTS]
        resolved = dict(resolve_all(self, rest, metrics, runtime_configuration)) if rest else {}
        known = {**(metrics or {}), **resolved}
        deferred = self.__dict__.setdefault("_bansos_deferred_lists", set())
        still = []
        for metric in lists:
            count_id, aggregate_id = _count_ids(metric)
            if count_id in known:
                count = known[count_id]
                deferred.discard(metric.id)
                if count == 0 and not isinstance(count, bool):
                    resolved[metric.id] = _empty(metric)
                else:
                    still.append(metric)
            elif aggregate_id in known and metric.id not in deferred:
                deferred.add(metric.id)  # left unresolved: GX offers it again with the count, next round
            else:
                still.append(metric)
        if still:
            resolved.update(resolve_all(self, still, {**(metrics or {}), **resolved}, runtime_configuration))
        return resolved

    SqlAlchemyExecutionEngine.resolve_metrics = resolve_metrics
    SqlAlchemyExecutionEngine._bansos_lists_when_unexpected = True
