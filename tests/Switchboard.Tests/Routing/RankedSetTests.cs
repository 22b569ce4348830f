using System.Diagnostics;
using System.Globalization;
using Switchboard.Queues;
using Switchboard.Routing;
using Xunit.Abstractions;

namespace Switchboard.Tests.Routing;

public sealed class RankedSetTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Aging = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(2026)]
    public void RandomAddsAndRemovesAgreeWithASortedSetAtEveryStep(int seed)
    {
        var random = new Random(seed);
        var set = new RankedSet<int>();
        var oracle = new SortedSet<int>();

        // Mostly adds until the set holds about 2,000 of the 3,000 values (so adds hit duplicates and removes hit
        // absent values), then mostly removes until it drains to about 750.
        for (var step = 1; step <= 20_000; step++)
        {
            var value = random.Next(3_000);
            var adding = step <= 15_000 ? random.Next(3) > 0 : random.Next(4) == 0;
            if (adding)
            {
                Assert.Equal(oracle.Add(value), set.Add(value));
            }
            else
            {
                Assert.Equal(oracle.Remove(value), set.Remove(value));
            }

            Assert.Equal(oracle.Count, set.Count);
            Assert.Equal(oracle.Contains(value), set.Contains(value));
            if (step % 500 == 0)
            {
                AssertSameAs(oracle, set, random);
            }
        }

        AssertSameAs(oracle, set, random);
    }

    [Fact]
    public void RankOfEveryItemMatchesItsPositionInSortedOrder()
    {
        var random = new Random(7);
        var set = new RankedSet<int>();
        var sorted = new List<int>();
        foreach (var value in Enumerable.Range(0, 10_000).Select(i => i * 3).OrderBy(_ => random.Next()))
        {
            set.Add(value);
        }

        sorted.AddRange(Enumerable.Range(0, 10_000).Select(i => i * 3));
        for (var i = 0; i < sorted.Count; i++)
        {
            Assert.Equal(i + 1, set.RankOf(sorted[i]));
            Assert.Equal(sorted[i], set.ElementAt(i + 1));
            Assert.Equal(0, set.RankOf(sorted[i] + 1));
        }
    }

    [Fact]
    public void AnEmptySetHasNoItemsNoMinimumAndNoRanks()
    {
        var set = new RankedSet<string>(StringComparer.Ordinal);

        Assert.Empty(set);
        Assert.Null(set.Min);
        Assert.Null(set.Max);
        Assert.Empty(set.ToArray());
        Assert.Empty(set.Reverse());
        Assert.Empty(set.ItemsFrom(1));
        Assert.Equal(0, set.RankOf("anna"));
        Assert.False(set.Contains("anna"));
        Assert.False(set.Remove("anna"));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.ElementAt(1));
    }

    [Fact]
    public void ASingleItemIsFirstLastAndRankOne()
    {
        var set = new RankedSet<string>(StringComparer.Ordinal) { "anna" };

        Assert.Single(set);
        Assert.Equal("anna", set.Min);
        Assert.Equal("anna", set.Max);
        Assert.Equal(1, set.RankOf("anna"));
        Assert.Equal("anna", set.ElementAt(1));
        Assert.Equal(["anna"], set);
        Assert.Equal(["anna"], set.Reverse());
        Assert.Equal(["anna"], set.ItemsFrom(1));

        Assert.True(set.Remove("anna"));
        Assert.Empty(set);
        Assert.Null(set.Min);
    }

    [Fact]
    public void RemovingAnAbsentItemReturnsFalseAndChangesNothing()
    {
        var set = new RankedSet<int> { 10, 20, 30 };

        Assert.False(set.Remove(15));
        Assert.False(set.Remove(40));
        Assert.True(set.Remove(20));
        Assert.False(set.Remove(20));

        Assert.Equal([10, 30], set);
        Assert.Equal(2, set.RankOf(30));
    }

    [Fact]
    public void AnItemTheComparerCallsEqualToOneAlreadyPresentIsRefused()
    {
        var set = new RankedSet<string>(StringComparer.OrdinalIgnoreCase);

        Assert.True(set.Add("Anna"));
        Assert.False(set.Add("anna"));
        Assert.False(set.Add("Anna"));

        Assert.Single(set);
        Assert.Equal("Anna", set.ElementAt(1));
        Assert.Equal(1, set.RankOf("ANNA"));
    }

    [Fact]
    public void RankOfAnAbsentItemIsZero()
    {
        var set = new RankedSet<int> { 10, 20, 30 };

        Assert.Equal(0, set.RankOf(5));
        Assert.Equal(0, set.RankOf(15));
        Assert.Equal(0, set.RankOf(35));
        Assert.Equal(3, set.RankOf(30));
    }

    [Fact]
    public void ElementAtCountsFromOneAsTheInverseOfRankOfNotFromZeroAsLinqDoes()
    {
        var set = new RankedSet<int> { 30, 10, 20 };

        Assert.Equal(10, set.ElementAt(1));
        Assert.Equal(30, set.ElementAt(3));
        Assert.Equal(20, set.ElementAt(set.RankOf(20)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(4)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void ElementAtOutsideOneToCountThrows(int rank)
    {
        var set = new RankedSet<int> { 10, 20, 30 };

        Assert.Throws<ArgumentOutOfRangeException>(() => set.ElementAt(rank));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void ItemsFromOutsideOneToCountPlusOneThrows(int rank)
    {
        var set = new RankedSet<int> { 10, 20, 30 };

        Assert.Throws<ArgumentOutOfRangeException>(() => set.ItemsFrom(rank));
    }

    [Fact]
    public void ItemsFromARankRunsToTheEndAndJustPastTheLastIsEmpty()
    {
        var set = new RankedSet<int> { 40, 10, 30, 20 };

        Assert.Equal([10, 20, 30, 40], set.ItemsFrom(1));
        Assert.Equal([30, 40], set.ItemsFrom(3));
        Assert.Equal([40], set.ItemsFrom(4));
        Assert.Empty(set.ItemsFrom(5));
    }

    [Fact]
    public void ClearEmptiesTheSetAndItCanBeFilledAgain()
    {
        var set = new RankedSet<int> { 1, 2, 3 };

        set.Clear();
        Assert.Empty(set);
        Assert.Equal(0, set.RankOf(2));

        set.Add(5);
        set.Add(4);
        Assert.Equal([4, 5], set);
        Assert.Equal(4, set.Min);
    }

    [Theory]
    [InlineData("add")]
    [InlineData("remove")]
    [InlineData("clear")]
    public void ChangingTheSetWhileEnumeratingThrows(string change)
    {
        Action<RankedSet<int>> apply = change switch
        {
            "add" => s => s.Add(100),
            "remove" => s => s.Remove(2),
            _ => s => s.Clear(),
        };

        Assert.Throws<InvalidOperationException>(() => ChangeDuring(Fill(), apply));
        Assert.Throws<InvalidOperationException>(() =>
        {
            var set = Fill();
            foreach (var item in set.Reverse())
            {
                apply(set);
            }
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var set = Fill();
            foreach (var item in set.ItemsFrom(2))
            {
                apply(set);
            }
        });

        static RankedSet<int> Fill() => [1, 2, 3, 4];

        static void ChangeDuring(RankedSet<int> set, Action<RankedSet<int>> apply)
        {
            foreach (var item in set)
            {
                apply(set);
            }
        }
    }

    [Fact]
    public void ARefusedAddOrAnAbsentRemoveDoesNotDisturbAnEnumeration()
    {
        // As with SortedSet: only a real change invalidates enumerators.
        var set = new RankedSet<int> { 1, 2, 3 };
        var seen = new List<int>();

        foreach (var item in set)
        {
            set.Add(item);
            set.Remove(99);
            seen.Add(item);
        }

        Assert.Equal([1, 2, 3], seen);
    }

    [Fact]
    public void AViewTakenBeforeAChangeThrowsWhenEnumeratedAfterIt()
    {
        var set = new RankedSet<int> { 1, 2, 3 };
        var fromSecond = set.ItemsFrom(2);
        var backwards = set.Reverse();

        set.Remove(3);

        Assert.Throws<InvalidOperationException>(() => fromSecond.ToList());
        Assert.Throws<InvalidOperationException>(() => backwards.ToList());
    }

    [Fact]
    public void ACopyCanBeWalkedWhileTheSetChanges()
    {
        var set = new RankedSet<int> { 1, 2, 3, 4 };

        foreach (var item in set.ToArray())
        {
            if (item % 2 == 0)
            {
                set.Remove(item);
            }
        }

        Assert.Equal([1, 3], set);
    }

    [Fact]
    public void AMillionSortedAdditionsAndRemovalsFromTheFrontKeepTheTreeShallow()
    {
        // The worst input for an unbalanced tree, and what a queue does: arrivals at the back, service from the front.
        const int Million = 1_000_000;
        var set = new RankedSet<int>();
        for (var i = 1; i <= Million; i++)
        {
            set.Add(i);
        }

        Assert.Equal(Million, set.Count);
        Assert.InRange(set.Height, 1, AvlHeightBound(Million));
        Assert.Equal(500_000, set.RankOf(500_000));
        Assert.Equal(Million, set.ElementAt(Million));

        for (var i = 1; i <= Million / 2; i++)
        {
            Assert.Equal(i, set.Min);
            Assert.True(set.Remove(i));
        }

        Assert.Equal(Million / 2, set.Count);
        Assert.InRange(set.Height, 1, AvlHeightBound(Million / 2));
        Assert.Equal(1, set.RankOf((Million / 2) + 1));
        Assert.Equal(Million, set.ElementAt(Million / 2));
        Assert.Equal(Million / 2, set.ToArray().Length);
        Assert.Equal(Million, set.Reverse().First());
    }

    [Fact]
    public void AnAddAllocatesOneNodeAndLookupsRemovalsAndEnumerationsAllocateNothing()
    {
        var set = new RankedSet<string>(StringComparer.Ordinal);
        var items = Enumerable.Range(0, 10_000).Select(i => $"c{i:D5}").Reverse().ToArray();
        var checksum = Exercise(set, items.Take(100).ToArray());
        set.Clear();

        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var item in items)
        {
            set.Add(item);
        }

        var perAdd = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)items.Length;

        before = GC.GetAllocatedBytesForCurrentThread();
        checksum += Exercise(set, items);
        var rest = GC.GetAllocatedBytesForCurrentThread() - before;

        // A node is an object header and method table (16 bytes), four references and two ints: 56 bytes on 64 bits.
        Assert.InRange(perAdd, 1, 56);
        Assert.Equal(0, rest);
        Assert.NotEqual(0, checksum);

        static int Exercise(RankedSet<string> set, string[] items)
        {
            var checksum = 0;
            foreach (var item in items)
            {
                set.Add(item);
                checksum += set.RankOf(item) + set.ElementAt(1).Length + (set.Contains(item) ? 1 : 0);
            }

            foreach (var item in set)
            {
                checksum += item.Length;
            }

            foreach (var item in set.Reverse())
            {
                checksum += item.Length;
            }

            foreach (var item in set.ItemsFrom(set.Count / 2))
            {
                checksum += item.Length;
            }

            foreach (var item in items)
            {
                set.Remove(item);
            }

            return checksum;
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    public void OrdersQueueEntriesExactlyAsASortedSetWithTheWaitingOrder(int seed)
    {
        var random = new Random(seed);
        var order = new WaitingOrder(Aging);
        var waiting = new RankedSet<QueueEntry>(order);
        var oracle = new SortedSet<QueueEntry>(order);
        var byId = new Dictionary<string, QueueEntry>();

        // Whole seconds within 10 minutes and priorities 0-3 make many equal effective priorities (priority 1 now
        // equals priority 0 that waited 30 s longer), so the tie-breakers (waiting since, conversation id) decide.
        for (var i = 0; i < 4_000; i++)
        {
            Enqueue(RandomEntry(random, $"c{i}", ticket: 1));
        }

        AssertSameOrder(oracle, waiting);

        // Churn as the queue grain does: serve the front, withdraw at random, requeue (some returned to the front).
        for (var round = 0; round < 2_000; round++)
        {
            switch (random.Next(4))
            {
                case 0:
                    var first = waiting.Min!;
                    Assert.Same(oracle.Min, first);
                    Dequeue(first.ConversationId);
                    break;
                case 1:
                    Dequeue(waiting.ElementAt(random.Next(1, waiting.Count + 1)).ConversationId);
                    break;
                default:
                    var id = $"c{random.Next(5_000)}";
                    var ticket = byId.TryGetValue(id, out var existing) ? existing.Ticket + 1 : 1;
                    Dequeue(id);
                    Enqueue(RandomEntry(random, id, ticket));
                    break;
            }
        }

        AssertSameOrder(oracle, waiting);

        void Enqueue(QueueEntry entry)
        {
            Assert.Equal(oracle.Add(entry), waiting.Add(entry));
            byId[entry.ConversationId] = entry;
            Assert.Equal(LinearPosition(oracle, entry), waiting.RankOf(entry));
        }

        void Dequeue(string conversationId)
        {
            if (byId.Remove(conversationId, out var entry))
            {
                Assert.True(oracle.Remove(entry));
                Assert.True(waiting.Remove(entry));
                Assert.Equal(0, waiting.RankOf(entry));
            }
        }
    }

    [Fact]
    public void MeasuresWaitingListsAgainstSortedSetAndTheLinearWalk()
    {
        // Prints numbers only: timings depend on the machine, so nothing here is asserted about them.
        // The million-entry run takes half a minute on two cores: only when asked (SWITCHBOARD_MEASURE_LARGE=1).
        var order = new WaitingOrder(Aging);
        Measure(order, Entries(new Random(1), 20_000), rankSamples: 2_000, walkSamples: 20, report: false);
        Measure(order, Entries(new Random(2), 50_000), rankSamples: 100_000, walkSamples: 50, report: true);
        if (Environment.GetEnvironmentVariable("SWITCHBOARD_MEASURE_LARGE") == "1")
        {
            Measure(order, Entries(new Random(3), 1_000_000), rankSamples: 100_000, walkSamples: 10, report: true);
        }
    }

    private void Measure(WaitingOrder order, QueueEntry[] entries, int rankSamples, int walkSamples, bool report)
    {
        var random = new Random(entries.Length);
        var n = entries.Length;
        var probes = Enumerable.Range(0, rankSamples).Select(_ => entries[random.Next(n)]).ToArray();
        var ranks = Enumerable.Range(0, rankSamples).Select(_ => random.Next(1, n + 1)).ToArray();
        var removals = entries.OrderBy(_ => random.Next()).ToArray();
        var ranked = new RankedSet<QueueEntry>(order);
        var sorted = new SortedSet<QueueEntry>(order);
        var checksum = 0L;

        var rankedAdd = Time(n, () =>
        {
            foreach (var entry in entries)
            {
                ranked.Add(entry);
            }
        });
        var sortedAdd = Time(n, () =>
        {
            foreach (var entry in entries)
            {
                sorted.Add(entry);
            }
        });
        var rankOf = Time(rankSamples, () =>
        {
            foreach (var entry in probes)
            {
                checksum += ranked.RankOf(entry);
            }
        });
        var elementAt = Time(rankSamples, () =>
        {
            foreach (var rank in ranks)
            {
                checksum += ranked.ElementAt(rank).Priority;
            }
        });
        var contains = Time(rankSamples, () =>
        {
            foreach (var entry in probes)
            {
                checksum += sorted.Contains(entry) ? 1 : 0;
            }
        });
        var walk = Time(walkSamples, () =>
        {
            for (var i = 0; i < walkSamples; i++)
            {
                checksum += LinearPosition(sorted, probes[i]);
            }
        });
        var iterate = Time(n, () =>
        {
            foreach (var entry in ranked)
            {
                checksum += entry.Priority;
            }
        });
        var rankedRemove = Time(n, () =>
        {
            foreach (var entry in removals)
            {
                ranked.Remove(entry);
            }
        });
        var sortedRemove = Time(n, () =>
        {
            foreach (var entry in removals)
            {
                sorted.Remove(entry);
            }
        });

        Assert.Empty(ranked);
        Assert.NotEqual(0, checksum);
        if (report)
        {
            var size = n.ToString("N0", CultureInfo.InvariantCulture);
            output.WriteLine(
                $"measured: RankedSet with {size} entries: add {Micro(rankedAdd)}, rank {Micro(rankOf)}, " +
                $"element at rank {Micro(elementAt)}, remove {Micro(rankedRemove)}, enumerate {Micro(iterate)} per operation");
            output.WriteLine(
                $"measured: SortedSet with {size} entries: add {Micro(sortedAdd)}, contains {Micro(contains)}, " +
                $"remove {Micro(sortedRemove)}, position by the linear walk (QueueGrain.PositionOf) {Micro(walk)} per operation " +
                $"({walk / rankOf:N0}x RankOf)");
        }
    }

    private static double Time(int operations, Action run)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var clock = Stopwatch.StartNew();
        run();
        return clock.Elapsed.TotalMicroseconds / operations;
    }

    private static string Micro(double microseconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{microseconds:0.000} µs");

    private static QueueEntry[] Entries(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new QueueEntry(
            $"c{i}", Ticket: 1, Priority: random.Next(4), RequiredProficiency: 1,
            Noon.AddMilliseconds(-random.Next(86_400_000)), Front: random.Next(1_000) == 0))];

    private static QueueEntry RandomEntry(Random random, string conversationId, int ticket) =>
        new(conversationId, ticket, Priority: random.Next(4), RequiredProficiency: 1,
            Noon.AddSeconds(-random.Next(600)), Front: random.Next(20) == 0);

    /// <summary>The walk <c>QueueGrain.PositionOf</c> does today: the first 64 from the front, then from the back.</summary>
    private static int LinearPosition(SortedSet<QueueEntry> waiting, QueueEntry entry)
    {
        const int FrontWalk = 64;
        var position = 0;
        foreach (var candidate in waiting)
        {
            position++;
            if (candidate == entry)
            {
                return position;
            }

            if (position == FrontWalk)
            {
                break;
            }
        }

        var behind = 0;
        foreach (var candidate in waiting.Reverse())
        {
            if (candidate == entry)
            {
                return waiting.Count - behind;
            }

            behind++;
        }

        return waiting.Count;
    }

    private static double AvlHeightBound(int count) => (1.4405 * Math.Log2(count + 2)) - 0.3277;

    private static void AssertSameOrder(SortedSet<QueueEntry> oracle, RankedSet<QueueEntry> waiting)
    {
        var expected = oracle.ToArray();
        Assert.Equal(expected, waiting.ToArray());
        Assert.Equal(oracle.Reverse(), waiting.Reverse());
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Same(expected[i], waiting.ElementAt(i + 1));
            Assert.Equal(i + 1, waiting.RankOf(expected[i]));
        }
    }

    private static void AssertSameAs(SortedSet<int> oracle, RankedSet<int> set, Random random)
    {
        var expected = oracle.ToArray();
        var count = expected.Length;
        Assert.Equal(count, set.Count);
        Assert.Equal(expected, set.ToArray());
        Assert.Equal(expected, set);
        Assert.Equal(oracle.Reverse(), set.Reverse());
        Assert.Equal(count == 0 ? 0 : expected[0], set.Min);
        Assert.Equal(count == 0 ? 0 : expected[^1], set.Max);
        Assert.InRange(set.Height, 0, AvlHeightBound(count));

        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i + 1, set.RankOf(expected[i]));
            Assert.Equal(expected[i], set.ElementAt(i + 1));
        }

        for (var probe = -1; probe <= 3_000; probe += 37)
        {
            Assert.Equal(oracle.Contains(probe), set.Contains(probe));
            Assert.Equal(oracle.Contains(probe) ? Array.BinarySearch(expected, probe) + 1 : 0, set.RankOf(probe));
        }

        foreach (var rank in new[] { 1, random.Next(1, count + 2), count, count + 1 }.Where(r => r >= 1))
        {
            Assert.Equal(expected.Skip(rank - 1), set.ItemsFrom(rank));
        }
    }
}
