// The one error an ONNX graph the importer cannot represent produces.
namespace CausalVision.Onnx;

/// <summary>Thrown when an ONNX graph uses an operator, attribute or attribute value the importer does not support; names the node, op and attribute.</summary>
public sealed class OnnxImportException : NotSupportedException
{
    /// <summary>Initializes a new instance of the <see cref="OnnxImportException"/> class.</summary>
    /// <param name="source">The model file.</param>
    /// <param name="nodeName">The node's name.</param>
    /// <param name="opType">The node's operator.</param>
    /// <param name="attribute">The offending attribute; null when the operator itself (or an input) is the problem.</param>
    /// <param name="detail">What is not supported.</param>
    public OnnxImportException(string source, string nodeName, string opType, string? attribute, string detail)
        : base($"Cannot import ONNX model '{source}': node '{nodeName}' (op {opType}){(attribute is null ? string.Empty : $", attribute '{attribute}'")}: {detail}")
    {
        NodeName = nodeName;
        OpType = opType;
        Attribute = attribute;
    }

    /// <summary>Gets the offending node's name.</summary>
    public string NodeName { get; }

    /// <summary>Gets the offending node's operator.</summary>
    public string OpType { get; }

    /// <summary>Gets the offending attribute; null when the operator or an input is the problem.</summary>
    public string? Attribute { get; }
}
