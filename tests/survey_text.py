"""The default statements and feedback question, typed out for tests.

Written here rather than read from core.settings, so a change to the defaults
shows up as failing tests instead of silently moving the expectations with it.
"""

S1 = "This meeting was a good use of my time"
S2 = "I think we discussed the right things"
S3 = "This meeting felt safe and constructive"
S4 = "I learned something new in this meeting"
FB = "How could we improve?"
STATEMENTS = (S1, S2, S3, S4)


def table_from_bytes(data: bytes, source: str):  # noqa: ANN201
    """An export held in memory, read the way the product reads an uploaded file's stream."""
    import io

    from pipeline.sources.files import read_table_stream

    return read_table_stream(io.BytesIO(data), source)
