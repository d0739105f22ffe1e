"""Brand-team digests: what a program's community did over a period, against the period before."""
