"""`python -m app` is the same program as the `bookbridge` command."""

import sys

if sys.argv[1:2] == ["--engine-child"]:  # the window's sync process (services/engine_process)
    from app.services.engine_child import main as serve_engine

    raise SystemExit(serve_engine())

from app.cli import main  # noqa: E402

raise SystemExit(main())
