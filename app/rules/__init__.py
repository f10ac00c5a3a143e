"""The attribution model as pure functions: no Faust, no Kafka, no I/O.

Start at :func:`attrib.rules.decide.decide`. The modules, one job each:

- ``model``: the records the rules read and write (touches, installs,
  settings, device history, decisions);
- ``eventtime``: believable timestamps and the decision delay (R1, R3, R4);
- ``useragent``: OS family, version and model for probabilistic matching;
- ``matching``: referrer, id and probabilistic matches (R5–R7);
- ``windows``: lookbacks and the other time windows (R2, R8–R12, R19–R21, R23);
- ``fraud``: rejected touches and blocked installs (R27–R31);
- ``waterfall``: tiers, tie-break and contributors (R13, R14, R16);
- ``decide``: the install decision (R1–R22, R27–R31);
- ``reengagement`` and ``events``: re-engagements and in-app event
  attribution (R23, R24).
"""
