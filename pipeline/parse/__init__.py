"""Pure parsing: turn a RawTable into typed records and rejects.

No I/O and no database here, so every rule can be tested table-driven. Work is
done per column with memo tables because exports repeat the same few answer
labels and time formats hundreds of thousands of times.

One module a rule, each with the SQL twin the CSV fast path (pipeline.csv_fast_path)
reads it by, where it has one (tests/test_sql_twins.py runs both on the same values):

* ``cells``      a cell as text, clipping, the mapped cells of a rejected row, the series
                 name, blank rows, and the whitespace Python's str.strip() removes
* ``answers``    what an answer means (1-5, labels, declared scales)
* ``feedback``   feedback text: cleaning, the length limit, scrubbing e-mails/mentions/phones
* ``times``      what a submission time means: shapes, D/M vs M/D, local -> UTC
* ``columns``    which column is which (with pipeline.mapping), header rows below titles
* ``keys``       response and reject keys (the response key itself: core.keys)
* ``surveys``    wide and long survey exports
* ``attendance`` meeting attendance
* ``calendar``   known busy weeks (launches, holidays, planning) for the attendance early warning

Import from the module that defines a name; this package re-exports nothing, so that
``pipeline.sources.files`` can use the blank-row rule of ``cells`` without a cycle.
"""
