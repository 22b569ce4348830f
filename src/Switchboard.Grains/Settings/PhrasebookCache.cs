using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Switchboard.Settings;

/// <summary>
/// Each silo's copy of the phrasebook, so the house rules are checked on every agent message without a call to the
/// one phrasebook grain: it is read again at most every <see cref="RefreshAfter"/>, and a change made through this
/// silo is taken at once (<see cref="Update"/>). Other silos see a change within <see cref="RefreshAfter"/>.
/// </summary>
public sealed class PhrasebookCache(IGrainFactory grains, ILogger<PhrasebookCache> logger)
{
    /// <summary>How old the copy may be before the next reader fetches it again.</summary>
    public static readonly TimeSpan RefreshAfter = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private Phrasebook _book = Phrasebook.Empty;
    // The real clock, not the silo's TimeProvider: this bounds how stale a copy is, and fake time may stand still.
    private long _readAt;
    private bool _read;
    private Task<Phrasebook>? _reading;

    /// <summary>
    /// The phrasebook; a copy at most <see cref="RefreshAfter"/> old, without a call when it is that fresh and at
    /// least version <paramref name="atLeast"/> (a console told of a change made through another silo asks for it).
    /// </summary>
    public ValueTask<Phrasebook> GetAsync(long atLeast = 0)
    {
        if (_read && _book.Version >= atLeast && Stopwatch.GetElapsedTime(Volatile.Read(ref _readAt)) < RefreshAfter)
        {
            return new(_book);
        }

        lock (_gate)
        {
            // One read at a time, shared by everyone who asks meanwhile.
            if (_reading is not { IsCompleted: false })
            {
                _reading = ReadAsync();
            }

            return new(_reading);
        }
    }

    /// <summary>Takes a phrasebook read or changed here, unless this silo already holds a newer one.</summary>
    public void Update(Phrasebook book)
    {
        lock (_gate)
        {
            if (book.Version >= _book.Version)
            {
                _book = book;
            }

            Volatile.Write(ref _readAt, Stopwatch.GetTimestamp());
            _read = true;
        }
    }

    private async Task<Phrasebook> ReadAsync()
    {
        try
        {
            Update(await grains.GetGrain<IPhrasebookGrain>(0).GetAsync());
        }
        catch (Exception ex)
        {
            // The rules still apply with the copy held (the configured ones, before any read): a message is not
            // refused because the phrasebook could not be read. Tried again after another period.
            logger.LogWarning(ex, "The phrasebook could not be read; keeping the copy held (version {Version})", _book.Version);
            lock (_gate)
            {
                Volatile.Write(ref _readAt, Stopwatch.GetTimestamp());
                _read = true;
            }
        }

        return _book;
    }
}
