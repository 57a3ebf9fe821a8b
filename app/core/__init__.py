"""The small core every layer shares: one typed settings object, the fixed user-facing error messages, the
types that cross layers (Hit, Citation, Answer, Query) and the seams as protocols (Embedder).

It imports nothing else of Sourced's."""
