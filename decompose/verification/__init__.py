"""`decompose verify`: the proof that each extracted function behaves like the monolith, before deploying.

The stage's parts, each a module with one job: `world` (moto state from the template, the seed, the state
dump), `events` (the project's events routed to routes, one synthesized per route), `packaging` (a
function's package as `sam build` makes it), `runner` (the fresh interpreter that runs events under moto and
records every call; started by `processes`), `compare` (normalisation rules as data, the differences),
`policy` (the rendered policy, moto's evaluator and moto's view), `baseline` (the monolith before the split,
from git) and `results` (the versioned JSON document and `read_result`). The use case that ties them
together is `decompose.verifying.verify`.
"""

from decompose.verification.results import read_result, render_json, render_text, to_document

__all__ = ["read_result", "render_json", "render_text", "to_document"]
