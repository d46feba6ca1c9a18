#!/usr/bin/env python3
"""Interleaved A/B runs of peerbench engines, for changes smaller than the noise.

On a shared host the speed drifts by tens of percent within minutes, so two
builds are compared run by run, in turn, each on a fresh directory: round 1
runs A, B, C; round 2 runs A, B, C again; and so on. The table gives each
label's median seconds (min-max), its ratio to the first label, and the
median CPU time (user + system) of its process.

  bench/peerbench/ab.py --rounds 12 --n 1000000 --durability batch \\
      fw=build-release/peerbench/peerbench-file_write \\
      before=/tmp/peerbench-rill-before \\
      after=build-release/peerbench/peerbench-rill \\
      after_nozf=build-release/peerbench/peerbench-rill:rill.zero_fill_ahead=0

A spec is LABEL=BINARY, optionally followed by :KEY=VALUE engine options
(peerbench's --opt), several separated by commas.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys


def parse_spec(spec):
    label, _, rest = spec.partition("=")
    binary, _, opts = rest.partition(":")
    if not label or not binary:
        sys.exit(f"ab.py: bad spec {spec!r}: want LABEL=BINARY[:KEY=VALUE,...]")
    if not os.access(binary, os.X_OK):
        sys.exit(f"ab.py: {binary}: not an executable")
    extra = []
    for opt in filter(None, opts.split(",")):
        extra += ["--opt", opt]
    return label, binary, extra


def run_once(binary, extra, args):
    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [binary, "--dir", args.dir, "--workload", args.workload, "--durability",
           args.durability, "--n", str(args.n)] + extra
    proc = subprocess.run(cmd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"ab.py: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    lines = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    if not lines:
        sys.exit(f"ab.py: {' '.join(cmd)} printed no JSON line")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return lines[0]["seconds"], cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--n", type=int, default=1000000)
    parser.add_argument("--workload", default="append")
    parser.add_argument("--durability", default="batch", choices=["os", "batch"])
    parser.add_argument("--dir", default="/tmp/rill-ab")
    parser.add_argument("specs", nargs="+", metavar="LABEL=BINARY[:KEY=VALUE,...]")
    args = parser.parse_args()
    specs = [parse_spec(s) for s in args.specs]
    seconds = {label: [] for label, _, _ in specs}
    cpu = {label: [] for label, _, _ in specs}
    for _ in range(args.rounds):
        for label, binary, extra in specs:
            s, c = run_once(binary, extra, args)
            seconds[label].append(s)
            cpu[label].append(c)
    shutil.rmtree(args.dir, ignore_errors=True)
    first = statistics.median(seconds[specs[0][0]])
    print(f"{args.workload} {args.durability}, n={args.n}, {args.rounds} interleaved rounds")
    print(f"{'label':16} {'median s':>9} {'min-max s':>15} {'first/this':>10} {'cpu s':>7}")
    for label, _, _ in specs:
        v = seconds[label]
        m = statistics.median(v)
        print(f"{label:16} {m:9.3f} {min(v):7.3f}-{max(v):<7.3f} {first / m:10.3f} "
              f"{statistics.median(cpu[label]):7.3f}")


if __name__ == "__main__":
    main()
