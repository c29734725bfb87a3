namespace CausalVision.Synthetic;

/// <summary>The shapes of the synthetic object vocabulary (objects = shape x colour).</summary>
public enum SyntheticShape
{
    /// <summary>A filled disc.</summary>
    Circle,

    /// <summary>A filled square.</summary>
    Square,

    /// <summary>A filled equilateral triangle.</summary>
    Triangle,

    /// <summary>A plus-shaped cross.</summary>
    Cross,

    /// <summary>An annulus (a disc with a hole).</summary>
    Ring,

    /// <summary>A square rotated by 45 degrees.</summary>
    Diamond,
}
