using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.Tickets;

/// <summary>
/// A channel's receiving end on a free loopback port: keeps every request (its exact body and signature) and answers
/// with the statuses a test planned (then 200).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<Received> _received = [];
    private readonly Queue<HttpStatusCode> _planned = new();
    private readonly List<(Func<IReadOnlyList<Received>, bool> Done, TaskCompletionSource Signal)> _waiters = [];
    private WebApplication? _app;

    public sealed record Received(byte[] Body, string? Signature, string? IdempotencyKey, HttpStatusCode Answered);

    public Uri Url { get; private set; } = null!;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        _app = builder.Build();
        _app.MapPost("/hook", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            HttpStatusCode status;
            lock (_lock)
            {
                status = _planned.TryDequeue(out var planned) ? planned : HttpStatusCode.OK;
                _received.Add(new Received(body.ToArray(), http.Request.Headers["X-Switchboard-Signature"], http.Request.Headers["Idempotency-Key"], status));
                for (var i = _waiters.Count - 1; i >= 0; i--)
                {
                    if (_waiters[i].Done(_received))
                    {
                        _waiters[i].Signal.TrySetResult();
                        _waiters.RemoveAt(i);
                    }
                }
            }

            return Results.StatusCode((int)status);
        });
        await _app.StartAsync();
        Url = new Uri(new Uri(_app.Urls.Single()), "/hook");
    }

    /// <summary>The next <paramref name="count"/> requests are answered with <paramref name="status"/>.</summary>
    public void Fail(int count, HttpStatusCode status = HttpStatusCode.ServiceUnavailable)
    {
        lock (_lock)
        {
            for (var i = 0; i < count; i++)
            {
                _planned.Enqueue(status);
            }
        }
    }

    public IReadOnlyList<Received> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Waits until what was received satisfies <paramref name="done"/>.</summary>
    public Task WaitUntilAsync(Func<IReadOnlyList<Received>, bool> done, TimeSpan? timeout = null)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (done(_received))
            {
                return Task.CompletedTask;
            }

            _waiters.Add((done, signal));
        }

        return signal.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(20));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
