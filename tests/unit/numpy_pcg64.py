# SPDX-License-Identifier: MIT
# numpy.random.default_rng(seed).permutation(n) in plain Python (no numpy),
# written from the arithmetic in FACTS.md, to check lib/pcg64.c against:
# SeedSequence's hash of the seed, PCG64 (128-bit LCG, XSL-RR output) and
# the Fisher-Yates shuffle with masked rejection sampling.  Also Hugging
# Face's Dataset.train_test_split rows for a float test_size.
#
#   numpy_pcg64.py perm SEED N ...      the permutation, space-separated,
#                                       one line for each pair SEED N
#   numpy_pcg64.py words SEED           generate_state(4, uint64) in hex
#   numpy_pcg64.py split SEED N TEST    train rows, then test rows, one line each
import math
import sys

M32 = (1 << 32) - 1
M64 = (1 << 64) - 1
M128 = (1 << 128) - 1
MULT = 0x2360ED051FC65DA44385DF649FCCF645


def seed_words(seed):
    words = []
    while True:
        words.append(seed & M32)
        seed >>= 32
        if seed == 0:
            return words


def seed_pool(seed):
    entropy = seed_words(seed)
    a = [0x43B0D7E5]

    def hashmix(v):
        v = (v ^ a[0]) & M32
        a[0] = (a[0] * 0x931E8875) & M32
        v = (v * a[0]) & M32
        return v ^ (v >> 16)

    def mix(x, y):
        r = (0xCA01F9DD * x - 0x4973F715 * y) & M32
        return r ^ (r >> 16)

    pool = [hashmix(entropy[i] if i < len(entropy) else 0) for i in range(4)]
    for s in range(4):
        for d in range(4):
            if s != d:
                pool[d] = mix(pool[d], hashmix(pool[s]))
    for e in entropy[4:]:
        for d in range(4):
            pool[d] = mix(pool[d], hashmix(e))
    return pool


def generate_state64(seed, n):
    pool = seed_pool(seed)
    b = 0x8B51F9DD
    out32 = []
    for i in range(2 * n):
        v = pool[i % 4] ^ b
        b = (b * 0x58F38DED) & M32
        v = (v * b) & M32
        out32.append(v ^ (v >> 16))
    return [out32[2 * i] | (out32[2 * i + 1] << 32) for i in range(n)]


class PCG64:
    def __init__(self, seed):
        w = generate_state64(seed, 4)
        initstate = (w[0] << 64) | w[1]
        initseq = (w[2] << 64) | w[3]
        self.inc = ((initseq << 1) | 1) & M128
        self.state = 0
        self.step()
        self.state = (self.state + initstate) & M128
        self.step()
        self.half = None

    def step(self):
        self.state = (self.state * MULT + self.inc) & M128

    def next64(self):
        self.step()
        x = (self.state >> 64) ^ (self.state & M64)
        rot = self.state >> 122
        return ((x >> rot) | (x << (64 - rot))) & M64

    def next32(self):
        if self.half is not None:
            v, self.half = self.half, None
            return v
        x = self.next64()
        self.half = x >> 32
        return x & M32

    def interval(self, top):
        if top == 0:
            return 0
        mask = (1 << top.bit_length()) - 1
        draw = self.next32 if top <= M32 else self.next64
        while True:
            v = draw() & mask
            if v <= top:
                return v


def permutation(seed, n):
    g = PCG64(seed)
    a = list(range(n))
    for i in range(n - 1, 0, -1):
        j = g.interval(i)
        a[i], a[j] = a[j], a[i]
    return a


def train_test_split(seed, n, test_size):
    n_test = math.ceil(test_size * n)
    perm = permutation(seed, n)
    return perm[n_test:], perm[:n_test]


def main(argv):
    what = argv[1]
    if what == "perm":
        for i in range(2, len(argv) - 1, 2):
            print(" ".join(map(str, permutation(int(argv[i]), int(argv[i + 1])))))
    elif what == "words":
        print(" ".join("%016x" % w for w in generate_state64(int(argv[2]), 4)))
    elif what == "split":
        train, test = train_test_split(int(argv[2]), int(argv[3]), float(argv[4]))
        print(" ".join(map(str, train)))
        print(" ".join(map(str, test)))
    else:
        sys.exit("numpy_pcg64.py: unknown command '%s'" % what)


if __name__ == "__main__":
    main(sys.argv)
