"""Evidence data, audit engine and chart specifications for the rituximab cytopenia review."""
