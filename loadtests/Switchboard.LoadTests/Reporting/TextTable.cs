using System.Text;

namespace Switchboard.LoadTests.Reporting;

/// <summary>A table written either as aligned console text or as a Markdown table: one source for both reports.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public IReadOnlyList<string> Headers { get; } = headers;

    public TextTable Add(params string[] cells)
    {
        if (cells.Length != Headers.Count)
        {
            throw new ArgumentException($"A row needs {Headers.Count} cells, not {cells.Length}.", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }

    /// <summary>Columns padded to their widest cell; the first column left-aligned, numbers right-aligned.</summary>
    public string ToConsole(string indent = "  ")
    {
        var widths = Headers.Select((h, i) => _rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        Line(text, Headers, widths, indent);
        text.Append(indent).AppendJoin("  ", widths.Select(w => new string('-', w))).Append('\n');
        foreach (var row in _rows)
        {
            Line(text, row, widths, indent);
        }

        return text.ToString();
    }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", Headers.Select(Escape)).Append(" |\n");
        text.Append('|').AppendJoin('|', Headers.Select((_, i) => i == 0 ? " --- " : " ---: ")).Append("|\n");
        foreach (var row in _rows)
        {
            text.Append("| ").AppendJoin(" | ", row.Select(Escape)).Append(" |\n");
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, IReadOnlyList<string> cells, int[] widths, string indent)
    {
        text.Append(indent);
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0)
            {
                text.Append("  ");
            }

            text.Append(i == 0 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]));
        }

        text.Append('\n');
    }

    private static string Escape(string cell) => cell.Replace("|", "\\|", StringComparison.Ordinal);
}
