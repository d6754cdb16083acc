"""The benchmark's groups: each turns rendered (and real) videos into a GroupResult."""
