#!/bin/bash
# tests/integration/timeouts_params.sh: timeouts.sh with the settings as request
# parameters (one cached route per mount), the same assertions.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
SETTINGS_MODE=params exec bash "$top_srcdir/tests/integration/timeouts.sh"
