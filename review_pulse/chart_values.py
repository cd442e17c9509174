"""A chart's rows as the values Altair would send for them, made a column at a time.

``ExportItem`` (review_pulse.export) swaps every DataFrame of a finished chart (the top level's and each
layer's, ``use_chart_values``) for these values, so every chart of every surface (page, PNG, SVG, PDF,
slides) is built from them. Altair's own conversion
(``sanitize_pandas_dataframe``, then ``to_dict(orient="records")``) formats each datetime cell by cell and
boxes every value through pandas: on the Talking points and Series pages over All time, a tenth of the
cold run. The spec is the same (Altair names the dataset by a hash of these values:
tests/test_chart_values.py compares both on every type handled here and on every chart of the demo's
and a three-series DB's pages).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd


def chart_data(df: pd.DataFrame) -> dict | pd.DataFrame:
    """``df`` as the values Altair would send for it (its ``sanitize_pandas_dataframe``, then records:
    datetimes as ISO text, "" for none; NaN and infinities as null; numpy scalars as Python's). A column of
    a type not handled here, or more rows than Altair's limit, leaves the frame to Altair."""
    if alt.data_transformers.active != "default":
        return df  # another transformer (files, VegaFusion) does its own thing with the frame
    if len(df) > alt.data_transformers.options.get("max_rows", 5000):
        return df  # Altair's MaxRowsError, as before
    columns = {}
    for name, column in df.items():
        values = _json_values(column)
        if values is None:
            return df
        columns[str(name)] = values
    names = list(columns)
    # A tuple, not a list: Altair deep-copies every layer, lists and dicts included, each time a layered
    # chart is built or turned into a spec (a few times per chart); a tuple it passes on as it is. The spec
    # is the same: Altair hashes the values as JSON (a tuple is a list there), and chart_spec writes them
    # as a list (core.plain_text.clean_spec).
    return {"values": tuple(dict(zip(names, row)) for row in zip(*columns.values()))}


_NESTED = ("layer", "vconcat", "hconcat", "concat")


def use_chart_values(chart: object) -> None:
    """Every DataFrame of ``chart`` (its own, each layer's and each concatenated or faceted view's) swapped
    for ``chart_data``'s values, in place. A frame shared by several layers stays shared (one object),
    which is how Altair decides what data a layer may hand to its parent."""
    converted: dict[int, object] = {}
    pending = [chart]
    while pending:
        node = pending.pop()
        if not isinstance(node, alt.SchemaBase):
            continue
        kwds = node._kwds  # the properties as given (a property a chart cannot hold raises on getattr)
        data = kwds.get("data", alt.Undefined)
        if isinstance(data, pd.DataFrame):
            if id(data) not in converted:
                converted[id(data)] = chart_data(data)
            node.data = converted[id(data)]
        for key in _NESTED:
            if isinstance(kwds.get(key), list):
                pending.extend(kwds[key])
        pending.append(kwds.get("spec"))


def _json_values(column: pd.Series) -> list | None:
    """A column's values as Altair's conversion leaves them, or None for a type not handled here."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biu":  # numpy bools and integers: Python's
        return column.tolist()
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = column.to_numpy()
        out = values.tolist()
        for index in np.flatnonzero(~np.isfinite(values)):
            out[index] = None
        return out
    if isinstance(dtype, np.dtype) and dtype.kind == "M":  # naive datetimes
        stamps = column.to_numpy()
        seconds = stamps.astype("datetime64[s]")
        if not (stamps == seconds)[~np.isnat(stamps)].all():
            return None  # fractions of a second: isoformat's own digits
        return ["" if text == "NaT" else text for text in np.datetime_as_string(seconds, unit="s").tolist()]
    if dtype == object or (pd.api.types.is_string_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)):
        out = []
        for value in column.astype(object).tolist():
            if isinstance(value, str):
                out.append(value)
            elif value is None or value is pd.NA or (isinstance(value, float) and value != value):
                out.append(None)
            else:
                return None
        return out
    return None
