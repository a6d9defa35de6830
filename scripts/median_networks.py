#!/usr/bin/env python3
"""Generates Sources/ImagingKernels/MedianNetworks.swift: the comparator networks that take the
median of a 3×3 and a 5×5 window whose columns are already sorted.

How a network is made (n = 3 or 5, N = n², r = (N + 1) / 2, the median's rank):
1. Each column is sorted (shared: neighbouring windows reuse it), then each row of the window is sorted;
   rows and columns both stay sorted, so element (i, j) has at least (i + 1)(j + 1) elements at or
   below it and (n - i)(n - j) at or above it. Elements with (i + 1)(j + 1) > r rank above the median,
   those with (n - i)(n - j) > r below it; the median is the (r - below)-th of the rest (the candidates).
2. The candidates go through Batcher's odd-even merge sort.
3. Comparators that never exchange anything are dropped (checked on all 2^N inputs of 0s and 1s, which
   by the 0-1 principle covers every input), then every min or max whose result the median does not
   use is dropped.
The result is checked on all 2^N 0-1 inputs here, and again by Tests/ImagingTests/MedianNetworkTests.

Run from the repository root: python3 scripts/median_networks.py > Sources/ImagingKernels/MedianNetworks.swift
"""

SORT = {
    3: [(1, 2), (0, 2), (0, 1)],
    5: [(0, 1), (3, 4), (2, 4), (2, 3), (0, 3), (0, 2), (1, 4), (1, 3), (1, 2)],
}


def batcher(count):
    """Batcher's odd-even merge sort for `count` wires (the next power of two, wires past `count` = +inf)."""
    size = 1
    while size < count:
        size *= 2
    result = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    if (i + j) // (p * 2) == (i + j + k) // (p * 2) and i + j + k < count:
                        result.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return result


def wires(count):
    """Bit-sliced 0-1 inputs: bit x of wire k is bit k of input x, for all 2^count inputs."""
    total = 1 << count
    result = []
    for k in range(count):
        period = 1 << (k + 1)
        word = ((1 << (1 << k)) - 1) << (1 << k)  # 2^k zeros, then 2^k ones
        reps = total // period
        # Doubling: pattern of `reps` copies of `word` with period `period`.
        pattern, length, piece, piece_len = 0, 0, word, period
        while reps:
            if reps & 1:
                pattern |= piece << length
                length += piece_len
            piece |= piece << piece_len
            piece_len *= 2
            reps >>= 1
        result.append(pattern)
    return result


def run(network, state):
    state = list(state)
    for a, b in network:
        x, y = state[a], state[b]
        state[a], state[b] = x & y, x | y
    return state


def majority(state, count, mask):
    """The lanes whose input has at least (count + 1) / 2 ones, bit-sliced (a ripple counter)."""
    need = (count + 1) // 2
    counter = []  # bit-sliced binary counter
    for w in state:
        carry = w
        for i in range(len(counter)):
            counter[i], carry = counter[i] ^ carry, counter[i] & carry
        if carry:
            counter.append(carry)
    # counter >= need
    result, equal = 0, mask
    for i in reversed(range(max(len(counter), need.bit_length()))):
        bit = counter[i] if i < len(counter) else 0
        if (need >> i) & 1:
            equal &= bit
        else:
            result |= equal & bit
            equal &= ~bit & mask
    return result | equal


def build(n):
    N, r = n * n, (n * n + 1) // 2
    W = lambda i, j: i * n + j
    columns = [(W(a, j), W(b, j)) for j in range(n) for a, b in SORT[n]]
    rows = [(W(i, a), W(i, b)) for i in range(n) for a, b in SORT[n]]
    candidates = [(i, j) for i in range(n) for j in range(n) if (i + 1) * (j + 1) <= r and (n - i) * (n - j) <= r]
    below = sum(1 for i in range(n) for j in range(n) if (n - i) * (n - j) > r)
    wire = [W(i, j) for i, j in candidates]
    select = [(wire[a], wire[b]) for a, b in batcher(len(wire))]
    output = wire[r - below - 1]
    mask = (1 << (1 << N)) - 1
    state = run(columns, wires(N))
    expected = majority(wires(N), N, mask)
    kept = []
    for a, b in rows + select:
        if state[a] & ~state[b] & mask:
            kept.append((a, b))
            state[a], state[b] = state[a] & state[b], state[a] | state[b]
    assert state[output] == expected, "network does not select the median"
    needed, ops = {output}, []
    for a, b in reversed(kept):
        low, high = a in needed, b in needed
        if low or high:
            ops.append((a, b, low, high))
            needed |= {a, b}
    ops.reverse()
    return columns, ops, output, needed


def swift(n):
    columns, ops, output, needed = build(n)
    name = lambda k: f"v{k}"
    lines = []
    args = ", ".join(["L"] * n)
    lines.append(f"    /// Sorts one column of {n} values ascending ({len(SORT[n])} comparators).")
    lines.append("    @inlinable @inline(__always)")
    lines.append(f"    public static func sortColumn{n}<L: MedianLanes>(_ v: ({args})) -> ({args}) {{")
    lines.append(f"        var ({', '.join(name(k) for k in range(n))}) = v")
    for a, b in SORT[n]:
        lines.append(f"        ({name(a)}, {name(b)}) = (.minimum({name(a)}, {name(b)}), .maximum({name(a)}, {name(b)}))")
    lines.append(f"        return ({', '.join(name(k) for k in range(n))})")
    lines.append("    }")
    lines.append("")
    count = sum(low + high for _, _, low, high in ops)
    lines.append(f"    /// The median of a {n}×{n} window whose columns are sorted ascending ({count} min/max).")
    lines.append("    /// `value(row, column)` gives the window's element; row 0 holds each column's smallest.")
    lines.append("    @inlinable @inline(__always)")
    lines.append(f"    public static func median{n}x{n}<L: MedianLanes>(_ value: (_ row: Int, _ column: Int) -> L) -> L {{")
    written = {a for a, _, low, _ in ops if low} | {b for _, b, _, high in ops if high}
    for k in sorted(needed):
        keyword = "var" if k in written else "let"
        lines.append(f"        {keyword} {name(k)} = value({k // n}, {k % n})")
    for a, b, low, high in ops:
        if low and high:
            lines.append(f"        ({name(a)}, {name(b)}) = (.minimum({name(a)}, {name(b)}), .maximum({name(a)}, {name(b)}))")
        elif low:
            lines.append(f"        {name(a)} = .minimum({name(a)}, {name(b)})")
        else:
            lines.append(f"        {name(b)} = .maximum({name(a)}, {name(b)})")
    lines.append(f"        return {name(output)}")
    lines.append("    }")
    return lines


def main():
    print("// Generated by scripts/median_networks.py; do not edit by hand (the script says how the networks")
    print("// are made, and Tests/ImagingTests/MedianNetworkTests checks them on every 0-1 input).")
    print("")
    print("/// Comparator networks for the median of small windows (see `PixelBuffer.medianBlurred`). Inlinable:")
    print("/// each caller's module specialises them for its vector type (SSE2 in Imaging, AVX2 in ImagingAVX2).")
    print("public enum MedianNetwork {")
    body = swift(3) + [""] + swift(5)
    for line in body:
        print(line)
    print("}")


if __name__ == "__main__":
    main()
