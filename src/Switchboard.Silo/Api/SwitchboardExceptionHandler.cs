using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Switchboard.Api;

/// <summary>Answers a refusal or an unreadable request with a problem-details body that says what was wrong.</summary>
internal sealed class SwitchboardExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title) = exception switch
        {
            SwitchboardException { Error: SwitchboardError.NotFound } => (StatusCodes.Status404NotFound, "Not found"),
            SwitchboardException { Error: SwitchboardError.Conflict } => (StatusCodes.Status409Conflict, "Conflict"),
            SwitchboardException { Error: SwitchboardError.Forbidden } => (StatusCodes.Status403Forbidden, "Forbidden"),
            SwitchboardException { Error: SwitchboardError.RateLimited } => (StatusCodes.Status429TooManyRequests, "Too many requests"),
            SwitchboardException => (StatusCodes.Status400BadRequest, "Invalid request"),
            BadHttpRequestException bad => (bad.StatusCode, "Bad request"),
            _ => (0, ""),
        };
        if (status == 0)
        {
            return false;
        }

        httpContext.Response.StatusCode = status;
        if (exception is SwitchboardException { RetryAfter: { } retryAfter })
        {
            // Whole seconds, rounded up: a client that waits exactly this long is accepted.
            httpContext.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Title = title,
                Detail = exception is BadHttpRequestException { InnerException: { } inner }
                    ? $"{exception.Message} {inner.Message}"
                    : exception.Message,
            },
        });
    }
}
