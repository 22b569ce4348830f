using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Switchboard.Hubs;

/// <summary>
/// SignalR's JSON hub protocol, except that a call whose frame its reader cannot take fails alone instead of closing
/// the connection. The protocol reads a frame with a JSON reader limited to 64 levels of nesting, and an argument
/// nested deeper (<c>[[[[...]]]]</c>) throws out of the frame's parse: SignalR then closes the connection, with every
/// conversation it had joined. Here such a frame, when it is well-formed JSON naming a call (<c>type</c> 1 or 4 with a
/// <c>target</c>), is answered like an argument of the wrong type: the call fails with an error and the connection
/// goes on. A frame that is not JSON, or names no call, still closes the connection, as the protocol requires.
/// </summary>
internal sealed class CallScopedJsonHubProtocol(JsonHubProtocol inner, int maxMessageBytes) : IHubProtocol
{
    private const byte RecordSeparator = 0x1e;

    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        var before = input;
        try
        {
            return inner.TryParseMessage(ref input, binder, out message);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException
            && before.PositionOf(RecordSeparator) is { } end
            && TryReadCall(before.Slice(0, end), out var invocationId, out var target))
        {
            input = before.Slice(before.GetPosition(1, end));
            message = new InvocationBindingFailureMessage(
                invocationId,
                target,
                ExceptionDispatchInfo.Capture(new HubException($"The arguments of '{target}' could not be read: {ex.Message}")));
            return true;
        }
    }

    /// <summary>
    /// The call a frame names, read without the protocol's depth limit (the frame is within the hub's message size,
    /// so its depth is too; the reader keeps one bit per level and does not recurse).
    /// </summary>
    private bool TryReadCall(ReadOnlySequence<byte> frame, out string? invocationId, [NotNullWhen(true)] out string? target)
    {
        invocationId = null;
        target = null;
        int? type = null;
        try
        {
            var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = Math.Max(64, maxMessageBytes) });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value : null;
                }
                else if (reader.ValueTextEquals("invocationId"u8))
                {
                    reader.Read();
                    invocationId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("target"u8))
                {
                    reader.Read();
                    target = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return reader.TokenType == JsonTokenType.EndObject
                && type is HubProtocolConstants.InvocationMessageType or HubProtocolConstants.StreamInvocationMessageType
                && !string.IsNullOrEmpty(target);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
