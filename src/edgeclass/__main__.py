try:
    from edgeclass.cli.main import main

    code = main()
except KeyboardInterrupt:  # a Ctrl+C in the instant before main's own handler is in place
    code = 130  # exit_codes.INTERRUPTED, not imported: the interrupt may land in that import
raise SystemExit(code)
