// Draws CIM's learned masks of one explained image as a heatmap: the node mask (the causal share M_X[:, 1] of every
// graph node: regions, tags, prototypes) as a column, and the edge mask (M_A[:, :, 1]) as an N x N matrix whose
// cells without an edge in the graph are grey. Colours run from dark blue (0: the complementary, trivial graph)
// to yellow (1: the causal graph). PNG output through SkiaSharp.
using SkiaSharp;

namespace CausalVision.Vscnet;

/// <summary>Renders the node and edge masks of a <see cref="VscNetExplanation"/> (a model with CIM, +C) as a PNG heatmap.</summary>
public static class MaskRenderer
{
    private const int Cell = 26;
    private const int LabelWidth = 150;
    private const int Header = 44;

    /// <summary>The node labels: R1..RJ for the regions, the tag names of the tag nodes, P1.. for the prototypes.</summary>
    /// <param name="explanation">The explanation.</param>
    /// <param name="tagNames">The model's tag vocabulary (<see cref="VscNet.TagNames"/>), or null for tag ids.</param>
    /// <returns>One label per real graph node (padding nodes, which have no edge, are left out).</returns>
    public static IReadOnlyList<(int Node, string Label)> NodeLabels(VscNetExplanation explanation, IReadOnlyList<string>? tagNames = null)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        var n = explanation.NodeMask?.Length ?? 0;
        var regions = explanation.Regions.Count;
        var tags = explanation.GraphTagIds ?? [];
        var labels = new List<(int, string)>(n);
        for (var i = 0; i < n; i++)
        {
            if (explanation.Adjacency is { } adj && !HasEdge(adj, i))
            {
                continue;
            }

            string label;
            if (i < regions)
            {
                label = $"R{i + 1}";
            }
            else if (i < regions + tags.Length)
            {
                var id = tags[i - regions];
                label = tagNames is not null && id >= 0 && id < tagNames.Count ? tagNames[(int)id] : $"tag {id}";
            }
            else
            {
                label = $"P{i - regions - tags.Length + 1}";
            }

            labels.Add((i, label));
        }

        return labels;
    }

    /// <summary>Renders the masks as PNG bytes.</summary>
    /// <param name="explanation">The explanation of a model with CIM.</param>
    /// <param name="tagNames">The model's tag vocabulary, or null for tag ids.</param>
    /// <returns>PNG bytes.</returns>
    /// <exception cref="InvalidOperationException">The explanation has no masks (the model has no CIM, +C).</exception>
    public static byte[] RenderPng(VscNetExplanation explanation, IReadOnlyList<string>? tagNames = null)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        if (explanation.NodeMask is not { } nodeMask || explanation.EdgeMask is not { } edgeMask)
        {
            throw new InvalidOperationException("The explanation has no node or edge masks: the model has no CIM (+C).");
        }

        var nodes = NodeLabels(explanation, tagNames);
        var n = nodes.Count;
        var width = LabelWidth + Cell + 12 + (n * Cell) + 12;
        var height = Header + (n * Cell) + 12;
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var small = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var font = new SKFont { Size = 12 };
        using var smallFont = new SKFont { Size = 9 };
        using var fill = new SKPaint { Style = SKPaintStyle.Fill };
        canvas.DrawText("CIM's causal share: node mask (column), edge mask (grid; grey: no edge)", 6, 16, SKTextAlign.Left, font, text);
        var gridLeft = LabelWidth + Cell + 12;
        for (var r = 0; r < n; r++)
        {
            var (node, label) = nodes[r];
            var y = Header + (r * Cell);
            canvas.DrawText(label.Length > 20 ? label[..20] : label, 6, y + (Cell / 2f) + 4, SKTextAlign.Left, font, text);
            fill.Color = Heat(nodeMask[node]);
            canvas.DrawRect(LabelWidth, y, Cell - 1, Cell - 1, fill);
            small.Color = nodeMask[node] > 0.6 ? SKColors.Black : SKColors.White;
            canvas.DrawText(nodeMask[node].ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), LabelWidth + (Cell / 2f), y + (Cell / 2f) + 3, SKTextAlign.Center, smallFont, small);
            small.Color = SKColors.Black;
            canvas.DrawText((r + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), gridLeft + (r * Cell) + (Cell / 2f), Header - 6, SKTextAlign.Center, smallFont, small);
            for (var c = 0; c < n; c++)
            {
                var other = nodes[c].Node;
                var edge = explanation.Adjacency is not { } adj || adj[node, other] > 0;
                fill.Color = edge ? Heat(edgeMask[node, other]) : new SKColor(225, 225, 225);
                canvas.DrawRect(gridLeft + (c * Cell), y, Cell - 1, Cell - 1, fill);
            }

            small.Color = SKColors.Black;
            canvas.DrawText((r + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), LabelWidth - 10, y + (Cell / 2f) + 3, SKTextAlign.Center, smallFont, small);
        }

        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>Renders the masks and writes a PNG file (atomically: temporary file, then rename).</summary>
    /// <param name="explanation">The explanation of a model with CIM.</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="tagNames">The model's tag vocabulary, or null for tag ids.</param>
    /// <exception cref="InvalidOperationException">The explanation has no masks.</exception>
    public static void Save(VscNetExplanation explanation, string path, IReadOnlyList<string>? tagNames = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        RegionRenderer.WriteAtomically(path, RenderPng(explanation, tagNames));
    }

    private static bool HasEdge(double[,] adjacency, int i)
    {
        for (var j = 0; j < adjacency.GetLength(1); j++)
        {
            if (adjacency[i, j] > 0 || adjacency[j, i] > 0)
            {
                return true;
            }
        }

        return false;
    }

    // A perceptually ordered ramp (viridis, five stops, linear between them): 0 dark blue, 1 yellow.
    private static SKColor Heat(double v)
    {
        ReadOnlySpan<(byte R, byte G, byte B)> stops = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)];
        var x = Math.Clamp(double.IsFinite(v) ? v : 0, 0, 1) * (stops.Length - 1);
        var i = Math.Min((int)x, stops.Length - 2);
        var f = x - i;
        byte L(byte a, byte b) => (byte)Math.Round(a + ((b - a) * f));
        return new SKColor(L(stops[i].R, stops[i + 1].R), L(stops[i].G, stops[i + 1].G), L(stops[i].B, stops[i + 1].B));
    }
}
