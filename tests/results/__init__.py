"""Reference results from independent tools (R metafor), stored with the calls that made them."""
