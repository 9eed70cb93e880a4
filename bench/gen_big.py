#!/usr/bin/env python3
"""Big generated scripts for compile-time measurements (issue 24): see bench/compile_time.sh.

  hists N     N histograms of distinct expressions, no regions
  regions N   N lets, N regions (one per let) and one histogram in each region

Both read the muons of the 1000-event example file (given on the command line); the expressions differ by their constants
so that no two nodes are shared (CSE) or folded away.
"""
import sys

HEADER = '''let muons = Muon{pt, eta, phi, mass, charge}
'''


def hists(n):
    lines = [HEADER]
    for i in range(n):
        c = 1 + i / 7
        expr = [
            f"sum(muons.pt) * {c}",
            f"max(muons.eta) + {c}",
            f"count(muons[pt > {c}])",
            f"sum(muons.phi) - {c}",
        ][i % 4]
        lines.append(f'hist h{i}: {expr} ~ Reg(50, 0, 100)\n')
    return "".join(lines)


def regions(n):
    lines = [HEADER]
    for i in range(n):
        c = 1 + i / 7
        lines.append(f"let x{i} = sum(muons.pt) + {c}\n")
        lines.append(f"region r{i}: x{i} > {(i % 40) * 2.5}\n")
        lines.append(f"hist h{i} in r{i}: x{i} ~ Reg(50, 0, 200)\n")
    return "".join(lines)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("hists", "regions"):
        sys.exit(__doc__)
    print({"hists": hists, "regions": regions}[sys.argv[1]](int(sys.argv[2])), end="")


if __name__ == "__main__":
    main()
