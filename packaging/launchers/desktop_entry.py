"""Frozen entry point of the windowed `edgeclass-desktop` executable."""

from edgeclass.desktop.app import main

raise SystemExit(main())
