#!/bin/sh
# tests/unit/no-check.sh: stands in for the unit tests when configure found
# no Check (the unit-test library): says why and reports SKIP (77).
echo "unit tests skipped: configure found no Check >= 0.11 (apt-get install check, then configure again; --with-check makes this an error)"
exit 77
