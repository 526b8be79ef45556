"""``regsam-flow serve``: the HTTP service, the trust boundary for people
who get no shell and no database login.

A thin layer over the same :class:`~regsam_flow.Engine` the CLI and
embedders use: it authenticates people (sign-in link, session cookie,
personal API token, or a trusted proxy's header) and turns each request
into one engine call made as the signed-in person; every rule stays in the
engine.  FastAPI (on Starlette, served by uvicorn) is imported only here,
never by the core or the CLI's other commands.

* :mod:`.deps` -- what a route gets: the engine and the signed-in
  :class:`~.deps.Caller`;
* :mod:`.api` -- the JSON API's routers, one module per resource.
"""
