// Small range checks shared by the FVA and HAR option classes, so every message has the same shape.
namespace CausalVision.Fva;

/// <summary>Throws <see cref="ArgumentException"/> with a message naming the option and its allowed range.</summary>
internal static class OptionChecks
{
    public static void Range(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentException($"Option {name} = {value} is out of range [{min}, {max}].", name);
        }
    }

    public static void Range(double value, double min, double max, string name)
    {
        if (double.IsNaN(value) || value < min || value > max)
        {
            throw new ArgumentException($"Option {name} = {value} is out of range [{min}, {max}].", name);
        }
    }

    public static void NonNegative(double value, string name)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value < 0)
        {
            throw new ArgumentException($"Option {name} = {value} must be a finite number >= 0.", name);
        }
    }

    public static void Defined<TEnum>(TEnum value, string name)
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw new ArgumentException($"Option {name} = {value} is not a defined {typeof(TEnum).Name} value.", name);
        }
    }
}
