// Options of VSCNet's class vote P_k from the hierarchy of visual-semantic exemplars (Meng et al., AAAI 2025, eq. 6, 14).
using System.ComponentModel.DataAnnotations;
using CausalVision.Validation;
using CausalVision.Vscnet.Fva;
using Microsoft.Extensions.Options;

namespace CausalVision.Vscnet.Har;

/// <summary>How <see cref="ClassVote"/> turns region-to-prototype matches into a class vote.</summary>
public enum ClassVoteMode
{
    /// <summary>Each step (region) votes with its best-matching prototype's class distribution, weighted by that match's
    /// score (similarity x tag probability). Eq. 9 links each region to its most closely matching prototype.</summary>
    PerStepWinner,

    /// <summary>Every (step, prototype) pair votes, weighted by its score: a soft version.</summary>
    Weighted,

    /// <summary>Only the single best (step, prototype) pair of the image votes (the authors' code with top_cls = 1: the
    /// hierarchy's top-1 class is the label of the best-scoring cluster).</summary>
    BestMatch,
}

/// <summary>Options of <see cref="ClassVote"/>.</summary>
public sealed class ClassVoteOptions
{
    /// <summary>Gets or sets the voting mode.</summary>
    /// <value>Default <see cref="ClassVoteMode.PerStepWinner"/>; the paper does not spell the vote out.</value>
    [EnumDataType(typeof(ClassVoteMode))]
    public ClassVoteMode Mode { get; set; } = ClassVoteMode.PerStepWinner;

    /// <summary>Gets or sets how many of each step's most probable tags may match prototypes; 0 means all tags.</summary>
    /// <value>Default 5 (the authors' <c>top_pos</c>).</value>
    [Range(0, int.MaxValue)]
    public int TopTagsPerStep { get; set; } = 5;

    /// <summary>Checks every option (the attribute rules, via <see cref="ClassVoteOptionsValidator"/>).</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names every bad option.</exception>
    public void Validate() => OptionsValidation.ThrowIfInvalid(new ClassVoteOptionsValidator(), this);
}

/// <summary>Source-generated validator of <see cref="ClassVoteOptions"/> (no reflection at run time).</summary>
[OptionsValidator]
public sealed partial class ClassVoteOptionsValidator : IValidateOptions<ClassVoteOptions>
{
}
