import random
import sys


def generator(seed):
    mt = [seed & 0xFFFFFFFF]
    for i in range(1, 624):
        prev = mt[-1]
        mt.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
    rng = random.Random()
    rng.setstate((3, tuple(mt) + (624,), None))
    return rng


def interval(rng, top):
    if top == 0:
        return 0
    mask = top
    for shift in (1, 2, 4, 8, 16, 32):
        mask |= mask >> shift
    bits = 32 if top <= 0xFFFFFFFF else 64
    while True:
        if bits == 32:
            value = rng.getrandbits(32) & mask
        else:
            value = ((rng.getrandbits(32) << 32) | rng.getrandbits(32)) & mask
        if value <= top:
            return value


def permutation(seed, n):
    rng = generator(seed)
    arr = list(range(n))
    for i in range(n - 1, 0, -1):
        j = interval(rng, i)
        arr[i], arr[j] = arr[j], arr[i]
    return arr


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    print(" ".join(str(v) for v in permutation(seed, n)))
