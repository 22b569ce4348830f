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
            SwitchboardException { Error: SwitchboardError.Unauthorized } => (StatusCodes.Status401Unauthorized, "Unauthorized"),
            SwitchboardException { Error: SwitchboardError.TooManyRequests } => (StatusCodes.Status429TooManyRequests, "Too many requests"),
            SwitchboardException { Error: SwitchboardError.Unavailable } => (StatusCodes.Status503ServiceUnavailable, "Briefly unavailable"),
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
            httpContext.Response.Headers.RetryAfter = Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)).ToString("0", System.Globalization.CultureInfo.InvariantCulture);
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
