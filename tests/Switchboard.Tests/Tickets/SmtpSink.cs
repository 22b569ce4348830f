using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;

namespace Switchboard.Tests.Tickets;

/// <summary>
/// A tiny SMTP server on a free loopback port that keeps every mail it is given. While <see cref="Refusing"/> it
/// answers each connection with 421 (service not available) and takes nothing, as a mail server that is down does.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<MimeMessage> _mails = [];
    private readonly List<(Func<MimeMessage, bool> Match, TaskCompletionSource<MimeMessage> Done)> _waiters = [];
    private readonly Task _accepting;

    public SmtpSink()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public volatile bool Refusing;

    /// <summary>Connections refused while <see cref="Refusing"/>.</summary>
    public int Refused => _refused;

    private int _refused;

    /// <summary>Completes once a connection has been refused (the sink is <see cref="Refusing"/>).</summary>
    public Task WaitForRefusalAsync(TimeSpan? timeout = null) => _refusal.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(20));

    private readonly TaskCompletionSource _refusal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<MimeMessage> MailsTo(string address)
    {
        lock (_lock)
        {
            return [.. _mails.Where(m => m.To.Mailboxes.Any(to => to.Address == address))];
        }
    }

    public Task<MimeMessage> WaitForMailToAsync(string address, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource<MimeMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool Match(MimeMessage m) => m.To.Mailboxes.Any(to => to.Address == address);
        lock (_lock)
        {
            if (_mails.FirstOrDefault(Match) is { } mail)
            {
                return Task.FromResult(mail);
            }

            _waiters.Add((Match, done));
        }

        return done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(20));
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        try
        {
            if (Refusing)
            {
                Interlocked.Increment(ref _refused);
                await writer.WriteLineAsync("421 4.3.2 sink is down, try again later");
                _refusal.TrySetResult();
                return;
            }

            await writer.WriteLineAsync("220 sink ESMTP");
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteLineAsync("250-sink");
                        await writer.WriteLineAsync("250 8BITMIME");
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(_stop.Token) is { } dataLine && dataLine != ".")
                        {
                            data.Append(dataLine.StartsWith("..", StringComparison.Ordinal) ? dataLine[1..] : dataLine).Append("\r\n");
                        }

                        Keep(MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(data.ToString()))));
                        await writer.WriteLineAsync("250 2.0.0 kept");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 bye");
                        return;
                    case "HELO" or "MAIL" or "RCPT" or "RSET" or "NOOP":
                        await writer.WriteLineAsync("250 ok");
                        break;
                    default:
                        await writer.WriteLineAsync("502 not here");
                        break;
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
    }

    private void Keep(MimeMessage mail)
    {
        lock (_lock)
        {
            _mails.Add(mail);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(mail))
                {
                    _waiters[i].Done.TrySetResult(mail);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
