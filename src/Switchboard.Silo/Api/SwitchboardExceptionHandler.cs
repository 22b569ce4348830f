using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Limits;

namespace Switchboard.Api;

/// <summary>
/// Answers a refusal or an unreadable request with a problem-details body that says what was wrong, and logs it as one
/// short line within its caller's budget (<see cref="RefusalLog"/>). Whatever else is thrown is left to the exception
/// handler middleware, which answers 500 and logs it once at Error with its stack (a refusal handled here it does not log).
/// </summary>
internal sealed class SwitchboardExceptionHandler(IProblemDetailsService problems, RefusalLog refusals) : IExceptionHandler
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

        var detail = exception is BadHttpRequestException { InnerException: { } inner }
            ? $"{exception.Message} {inner.Message}"
            : exception.Message;
        refusals.Request(httpContext, status, detail);
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
                Detail = detail,
            },
        });
    }
}
