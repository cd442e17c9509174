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
