"""`python -m app` is the same program as the `bookbridge` command."""

from app.cli import main

raise SystemExit(main())
