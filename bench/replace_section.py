#!/usr/bin/env python3
"""Puts a section into bench/RESULTS.md: replaces the lines from its heading
up to the next "## " heading, or appends it. Each bench script owns one
section and leaves the others (and the hand-written notes) alone.

usage: bench/replace_section.py SECTION_FILE
SECTION_FILE starts with the section's "## " heading line."""
import os
import sys

path = "bench/RESULTS.md"
out = open(sys.argv[1]).read().rstrip("\n").split("\n")
heading = out[0]
old = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
lines = old.split("\n")
try:
    start = lines.index(heading)
    end = next((k for k in range(start + 1, len(lines)) if lines[k].startswith("## ")), len(lines))
    new = lines[:start] + out + [""] + lines[end:]
except ValueError:
    new = old.rstrip("\n").split("\n") + [""] + out
open(path, "w").write("\n".join(new).rstrip("\n") + "\n")
