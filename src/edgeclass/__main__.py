from edgeclass.cli.main import main

raise SystemExit(main())
