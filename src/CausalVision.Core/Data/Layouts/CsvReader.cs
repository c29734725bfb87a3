using System.Text;

namespace CausalVision.Data.Layouts;

/// <summary>A small RFC 4180 reader: quoted fields may hold commas, quotes ("") and line breaks.</summary>
internal static class CsvReader
{
    /// <summary>Parses CSV text into records, each with the 1-based line where it starts.</summary>
    public static List<(int Line, List<string> Fields)> Parse(string text, string file)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var inQuotes = false;
        var fieldStarted = false;
        var i = 0;
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            i = 1;
        }

        for (; i < text.Length; i++)
        {
            var ch = text[i];
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else
                {
                    if (ch == '\n')
                    {
                        line++;
                    }

                    field.Append(ch);
                }

                continue;
            }

            switch (ch)
            {
                case '"' when field.Length == 0 && !fieldStarted:
                    inQuotes = true;
                    fieldStarted = true;
                    break;
                case '"':
                    throw new InvalidDataException($"{file}:{line}: a quote inside an unquoted field (RFC 4180 needs the whole field quoted).");
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    break;
                case '\r':
                    break;
                case '\n':
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(ch);
                    fieldStarted = true;
                    break;
            }
        }

        if (inQuotes)
        {
            throw new InvalidDataException($"{file}:{recordLine}: unterminated quoted field.");
        }

        EndRecord();
        return records;

        void EndRecord()
        {
            if (fields.Count == 0 && field.Length == 0 && !fieldStarted)
            {
                return; // blank line
            }

            fields.Add(field.ToString());
            records.Add((recordLine, [.. fields]));
            fields.Clear();
            field.Clear();
            fieldStarted = false;
        }
    }
}
