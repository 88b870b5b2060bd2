"""bounds.py: the one helper for durations.

A check about time asserts a measured duration against the value the test
configured (a timeout, the mock's delay, the time an answer takes), with a
margin derived from that value: never a window tuned by hand.

  configured_bound(c): an event that fires after the configured c (a
      timeout): it comes no earlier than c (less 5% for timer rounding) and
      no later than c plus the larger of c and START (the cost of starting
      a process and a connection on a loaded machine), times SLOWDOWN.
  well_before(total): an event that must cut something short that takes
      total: it comes before half of total.
  check(c, what, configured, got, other): counts on c (a cases.Checks)
      whether got is within configured's bound (and, with other, below the
      low of other's, so that the check tells the two apart whatever the
      load); check_before likewise for well_before.
"""

from procs import SLOWDOWN

START = 3.0


def configured_bound(configured):
    """(low, high) in seconds for an event configured to come after
    `configured` seconds."""
    return configured * 0.95, configured + max(configured, START) * SLOWDOWN


def well_before(total):
    """(0, high) in seconds for an event that cuts short what takes total."""
    return 0.0, total / 2


def within(got, bound):
    low, high = bound
    return low <= got <= high


def check(c, what, configured, got, other=None):
    """got (seconds; None: the event never came) is within configured's
    bound; with other, the configured time of what the check rules out,
    also below other's low."""
    low, high = configured_bound(configured)
    if other is not None:
        high = min(high, configured_bound(other)[0])
    got = float("inf") if got is None else got
    c.true("%s (configured %g s)" % (what, configured), low <= got <= high, show(got, (low, high)))


def check_before(c, what, total, got):
    """got (seconds; None: never) comes before half of total."""
    b = well_before(total)
    got = float("inf") if got is None else got
    c.true("%s (before half of %g s)" % (what, total), within(got, b), show(got, b))


def show(got, bound):
    return "%.3f s in [%.3f, %.3f]" % (got, bound[0], bound[1])


def seconds(text):
    """A duration as Thanos writes it ("500ms", "1s", "2m") in seconds."""
    units = (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0))
    for suffix, mult in units:
        if text.endswith(suffix) and text[:-len(suffix)].replace(".", "", 1).isdigit():
            return float(text[:-len(suffix)]) * mult
    raise ValueError("not a duration: %r" % text)
