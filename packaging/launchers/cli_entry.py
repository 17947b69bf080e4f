"""Frozen entry point of the `edgeclass` console executable (classify and --version)."""

from edgeclass.cli.main import main

raise SystemExit(main())
