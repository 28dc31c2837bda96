"""Evidence data, audit engine and chart specifications for the rituximab cytopenia review."""

# First, so that the digest of the package's modules is taken as they are imported (rtxreview.digest).
from rtxreview import digest as _digest  # noqa: F401
