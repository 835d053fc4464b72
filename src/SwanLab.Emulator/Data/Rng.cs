namespace SwanLab.Emulator.Data;

/// <summary>
/// Own PRNG (SplitMix64) so the dataset never depends on System.Random's implementation across runtimes.
/// </summary>
internal sealed class Rng(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    public int Next(int maxExclusive) => maxExclusive <= 0 ? 0 : (int)(NextUInt64() % (ulong)maxExclusive);

    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);

    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public bool Chance(double p) => NextDouble() < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    private const string LowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>21 lowercase letters/digits, the shape of SwanLab cuids.</summary>
    public string NextCuid()
    {
        Span<char> chars = stackalloc char[21];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = LowerAlnum[Next(LowerAlnum.Length)];
        }

        return new string(chars);
    }

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static ulong Hash(ulong a, ulong b) => Mix(a ^ Mix(b + 0x9E3779B97F4A7C15UL));

    public static ulong Hash(ulong a, ulong b, ulong c) => Hash(Hash(a, b), c);

    public static double Unit(ulong h) => (h >> 11) * (1.0 / (1UL << 53));

    public static ulong HashString(string s)
    {
        // FNV-1a: stable across processes, unlike string.GetHashCode.
        var h = 14695981039346656037UL;
        foreach (var ch in s)
        {
            h = (h ^ ch) * 1099511628211UL;
        }

        return Mix(h);
    }
}
