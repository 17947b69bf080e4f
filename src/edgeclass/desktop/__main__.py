from edgeclass.desktop.app import main

raise SystemExit(main())
