"""Nothing leaves this computer: the opt-outs of the libraries that would otherwise phone home.

onnxruntime's own wheels (1.29 and later, Linux and macOS) start a telemetry uploader when the
library loads: it writes a persistent device id and an event queue under
~/.cache/Microsoft/DeveloperTools/.onnxruntime/, a session file in the temp folder, and sends
events (OS, CPU, memory, program, session ids) to mobile.events.data.microsoft.com. Its opt-out is
an environment variable read once, when the library loads, so it must be set before anything
imports onnxruntime: `import edgeclass` does it (edgeclass/__init__.py), and every entry point
(the CLI, the desktop app, the server, Ray's actors, the bundle) imports edgeclass first.
1.32 reads ORT_DISABLE_TELEMETRY; its newer sources read ORT_TELEMETRY_DISABLED.

Ray (`--engine ray`) reports usage statistics to usage-stats.ray.io from a cluster started by
`ray.init()` unless RAY_USAGE_STATS_ENABLED=0.

The values are forced, not defaults: edgeclass promises privacy, so a value inherited from the
environment (a CI system's, say) does not turn any of it back on.
"""

from __future__ import annotations

import os
import sys

OPT_OUTS = {
    "ORT_DISABLE_TELEMETRY": "1",
    "ORT_TELEMETRY_DISABLED": "1",
    "RAY_USAGE_STATS_ENABLED": "0",
}


def disable_telemetry() -> None:
    """Set the opt-outs for this process and the processes it starts."""
    os.environ.update(OPT_OUTS)
    onnxruntime = sys.modules.get("onnxruntime")
    if onnxruntime is not None:
        # Imported before edgeclass: the device id is written already, but no further events.
        onnxruntime.disable_telemetry_events()
