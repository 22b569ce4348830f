using System.Collections;

namespace Switchboard.Routing;

/// <summary>
/// An ordered set that also knows each item's place in line: <see cref="RankOf"/> and <see cref="ElementAt"/> in
/// O(log n), where a <see cref="SortedSet{T}"/> has to be walked.
/// </summary>
/// <remarks>
/// <para>
/// Items are distinct by the comparer: it must return 0 only for the same item (as <see cref="WaitingOrder"/> does
/// with its tie-breakers); an item the comparer calls equal to one already present is refused.
/// </para>
/// <para>
/// The set must not change while it is being enumerated: the next <c>MoveNext</c> throws
/// <see cref="InvalidOperationException"/>, as <see cref="SortedSet{T}"/> does. <see cref="Reverse"/> and
/// <see cref="ItemsFrom"/> find where they start when called, so they too are spoiled by any change made before their
/// enumeration ends. To change the set while going through it, copy first (<see cref="ToArray"/>).
/// </para>
/// <para>
/// An AVL tree whose nodes carry their subtree size. AVL rather than a treap: its height is guaranteed
/// (at most 1.44 log2 n, 29 at a million) instead of expected, needs no random source, and it is the most tightly
/// balanced common choice, which favours the lookups (<see cref="RankOf"/>, <see cref="Contains"/>) a queue makes
/// at least as often as it adds or removes; its extra rotations over a red-black tree cost little because every
/// change walks to the root anyway to update sizes. Nodes keep their parent so that nothing recurses, rebalancing
/// needs no path stack and the enumerators are structs that allocate nothing.
/// </para>
/// </remarks>
public sealed class RankedSet<T> : IReadOnlyCollection<T>
{
    private readonly IComparer<T> _comparer;
    private Node? _root;
    private int _version;

    public RankedSet(IComparer<T>? comparer = null)
    {
        _comparer = comparer ?? Comparer<T>.Default;
    }

    public int Count => _root?.Size ?? 0;

    /// <summary>The first item in order, or the default when the set is empty.</summary>
    public T? Min => _root is null ? default : Leftmost(_root).Item;

    /// <summary>The last item in order, or the default when the set is empty.</summary>
    public T? Max => _root is null ? default : Rightmost(_root).Item;

    /// <summary>Tree height (0 when empty), for tests of the balance guarantee.</summary>
    internal int Height => HeightOf(_root);

    /// <summary>Adds the item; false when an item the comparer calls equal is already present.</summary>
    public bool Add(T item)
    {
        if (_root is null)
        {
            _root = new Node(item, parent: null);
            _version++;
            return true;
        }

        var parent = _root;
        int order;
        while (true)
        {
            order = _comparer.Compare(item, parent.Item);
            if (order == 0)
            {
                return false;
            }

            var next = order < 0 ? parent.Left : parent.Right;
            if (next is null)
            {
                break;
            }

            parent = next;
        }

        var node = new Node(item, parent);
        if (order < 0)
        {
            parent.Left = node;
        }
        else
        {
            parent.Right = node;
        }

        RebalanceUpFrom(parent);
        _version++;
        return true;
    }

    public bool Remove(T item)
    {
        var node = Find(item);
        if (node is null)
        {
            return false;
        }

        if (node.Left is not null && node.Right is not null)
        {
            // Two children: the successor (leftmost of the right subtree, at most one child) gives up its item
            // and its node is the one unlinked.
            var successor = Leftmost(node.Right);
            node.Item = successor.Item;
            node = successor;
        }

        var parent = node.Parent;
        Replace(parent, node, node.Left ?? node.Right);
        node.Item = default!;
        RebalanceUpFrom(parent);
        _version++;
        return true;
    }

    public bool Contains(T item) => Find(item) is not null;

    public void Clear()
    {
        _root = null;
        _version++;
    }

    /// <summary>The item's 1-based place in order, or 0 when it is not in the set. O(log n).</summary>
    public int RankOf(T item)
    {
        var rank = 0;
        var node = _root;
        while (node is not null)
        {
            var order = _comparer.Compare(item, node.Item);
            if (order < 0)
            {
                node = node.Left;
                continue;
            }

            rank += SizeOf(node.Left) + 1;
            if (order == 0)
            {
                return rank;
            }

            node = node.Right;
        }

        return 0;
    }

    /// <summary>
    /// The item at the 1-based <paramref name="rank"/> (1 = <see cref="Min"/>), O(log n). Unlike LINQ's 0-based
    /// <c>ElementAt</c>, so that it is the inverse of <see cref="RankOf"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The rank is not between 1 and <see cref="Count"/>.</exception>
    public T ElementAt(int rank)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rank, Count);
        return NodeAt(rank).Item;
    }

    /// <summary>The items from the 1-based <paramref name="rank"/> to the last, in order; <see cref="Count"/> + 1 gives none.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The rank is not between 1 and <see cref="Count"/> + 1.</exception>
    public View ItemsFrom(int rank)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rank, Count + 1);
        return new View(this, rank > Count ? null : NodeAt(rank), reverse: false);
    }

    /// <summary>The items from the last to the first.</summary>
    public View Reverse() => new(this, _root is null ? null : Rightmost(_root), reverse: true);

    public Enumerator GetEnumerator() => new(this, _root is null ? null : Leftmost(_root), reverse: false);

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public T[] ToArray()
    {
        var items = new T[Count];
        var i = 0;
        foreach (var item in this)
        {
            items[i++] = item;
        }

        return items;
    }

    private Node? Find(T item)
    {
        var node = _root;
        while (node is not null)
        {
            var order = _comparer.Compare(item, node.Item);
            if (order == 0)
            {
                return node;
            }

            node = order < 0 ? node.Left : node.Right;
        }

        return null;
    }

    private Node NodeAt(int rank)
    {
        var node = _root!;
        while (true)
        {
            var left = SizeOf(node.Left);
            if (rank <= left)
            {
                node = node.Left!;
            }
            else if (rank == left + 1)
            {
                return node;
            }
            else
            {
                rank -= left + 1;
                node = node.Right!;
            }
        }
    }

    /// <summary>Restores balance, sizes and heights from <paramref name="node"/> up to the root.</summary>
    private void RebalanceUpFrom(Node? node)
    {
        // Sizes change all the way up, so this never stops early as a plain AVL insert could.
        while (node is not null)
        {
            node = Rebalance(node).Parent;
        }
    }

    /// <summary>Rebalances the subtree at <paramref name="node"/> (whose children are balanced); returns its new top.</summary>
    private Node Rebalance(Node node)
    {
        var balance = HeightOf(node.Left) - HeightOf(node.Right);
        if (balance > 1)
        {
            var left = node.Left!;
            if (HeightOf(left.Left) < HeightOf(left.Right))
            {
                RotateLeft(left);
            }

            return RotateRight(node);
        }

        if (balance < -1)
        {
            var right = node.Right!;
            if (HeightOf(right.Right) < HeightOf(right.Left))
            {
                RotateRight(right);
            }

            return RotateLeft(node);
        }

        Update(node);
        return node;
    }

    private Node RotateLeft(Node node)
    {
        var top = node.Right!;
        node.Right = top.Left;
        if (top.Left is not null)
        {
            top.Left.Parent = node;
        }

        Replace(node.Parent, node, top);
        top.Left = node;
        node.Parent = top;
        Update(node);
        Update(top);
        return top;
    }

    private Node RotateRight(Node node)
    {
        var top = node.Left!;
        node.Left = top.Right;
        if (top.Right is not null)
        {
            top.Right.Parent = node;
        }

        Replace(node.Parent, node, top);
        top.Right = node;
        node.Parent = top;
        Update(node);
        Update(top);
        return top;
    }

    /// <summary>Puts <paramref name="replacement"/> where <paramref name="child"/> hangs under <paramref name="parent"/> (null: the root).</summary>
    private void Replace(Node? parent, Node child, Node? replacement)
    {
        if (parent is null)
        {
            _root = replacement;
        }
        else if (parent.Left == child)
        {
            parent.Left = replacement;
        }
        else
        {
            parent.Right = replacement;
        }

        if (replacement is not null)
        {
            replacement.Parent = parent;
        }
    }

    private static void Update(Node node)
    {
        node.Size = SizeOf(node.Left) + SizeOf(node.Right) + 1;
        node.Height = Math.Max(HeightOf(node.Left), HeightOf(node.Right)) + 1;
    }

    private static int SizeOf(Node? node) => node?.Size ?? 0;

    private static int HeightOf(Node? node) => node?.Height ?? 0;

    private static Node Leftmost(Node node)
    {
        while (node.Left is not null)
        {
            node = node.Left;
        }

        return node;
    }

    private static Node Rightmost(Node node)
    {
        while (node.Right is not null)
        {
            node = node.Right;
        }

        return node;
    }

    private static Node? Successor(Node node)
    {
        if (node.Right is not null)
        {
            return Leftmost(node.Right);
        }

        while (node.Parent is not null && node.Parent.Right == node)
        {
            node = node.Parent;
        }

        return node.Parent;
    }

    private static Node? Predecessor(Node node)
    {
        if (node.Left is not null)
        {
            return Rightmost(node.Left);
        }

        while (node.Parent is not null && node.Parent.Left == node)
        {
            node = node.Parent;
        }

        return node.Parent;
    }

    // Internal, not private, only because the nested enumerators' constructors take it.
    internal sealed class Node(T item, Node? parent)
    {
        public T Item = item;
        public Node? Parent = parent;
        public Node? Left;
        public Node? Right;
        public int Size = 1;
        public int Height = 1;
    }

    /// <summary>A run of the set's items (from a rank, or backwards), valid until the set next changes.</summary>
    public readonly struct View : IEnumerable<T>
    {
        private readonly RankedSet<T>? _set;
        private readonly Node? _start;
        private readonly int _version;
        private readonly bool _reverse;

        internal View(RankedSet<T> set, Node? start, bool reverse)
        {
            _set = set;
            _start = start;
            _version = set._version;
            _reverse = reverse;
        }

        public Enumerator GetEnumerator() => new(_set, _start, _version, _reverse);

        IEnumerator<T> IEnumerable<T>.GetEnumerator() => GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    public struct Enumerator : IEnumerator<T>
    {
        private readonly RankedSet<T>? _set;
        private readonly Node? _start;
        private readonly int _version;
        private readonly bool _reverse;
        private Node? _next;
        private T _current;

        internal Enumerator(RankedSet<T> set, Node? start, bool reverse)
            : this(set, start, set._version, reverse)
        {
        }

        internal Enumerator(RankedSet<T>? set, Node? start, int version, bool reverse)
        {
            _set = set;
            _start = start;
            _version = version;
            _reverse = reverse;
            _next = start;
            _current = default!;
        }

        public readonly T Current => _current;

        readonly object? IEnumerator.Current => _current;

        public bool MoveNext()
        {
            if (_set is null)
            {
                return false;
            }

            if (_version != _set._version)
            {
                throw new InvalidOperationException("The set was changed while it was being enumerated; copy it first (ToArray).");
            }

            if (_next is null)
            {
                _current = default!;
                return false;
            }

            _current = _next.Item;
            _next = _reverse ? Predecessor(_next) : Successor(_next);
            return true;
        }

        public void Reset()
        {
            if (_set is not null && _version != _set._version)
            {
                throw new InvalidOperationException("The set was changed while it was being enumerated; copy it first (ToArray).");
            }

            _next = _start;
            _current = default!;
        }

        public readonly void Dispose()
        {
        }
    }
}
