// samples/Train: train and evaluate a model on any supported dataset from the command line.
//
//   ./build.sh train --layout synthetic --epochs 2 --out artifacts/train-synthetic
//   ./build.sh train --data data/synthetic --layout manifest --epochs 1 --image-size 64
//   ./build.sh train --data ~/food-101 --layout food101 --backbone resnet50 --epochs 12 --device cuda
//
// Writes <out>/metrics.json and <out>/last.ckpt (updated after every epoch; --resume continues it).
// A bad command line or dataset prints one "train: ..." line and exits with code 2; --help lists the
// options (TrainArguments.cs) and the models. The job itself is TrainJob.cs, which the causalvision tool
// compiles too (`causalvision train`).
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CausalVision.Backbones;
using CausalVision.Cli;
using CausalVision.Data;
using CausalVision.Imaging.Transforms;
using CausalVision.Runtime;
using CausalVision.Samples.Train;
using CausalVision.Samples;
using CausalVision.Synthetic;

var parse = TrainArguments.CreateCommand(TrainJob.Run).Parse(args);
try
{
    if (TrainArguments.Error(parse) is { } usage)
    {
        throw new UsageException(usage);
    }

    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (ex is UsageException or ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or SampleLoadException or InvalidOperationException or UnauthorizedAccessException or IOException)
{
    // One line, no stack trace: the messages of the loaders and the trainer name the file, line or setting.
    if (!Console.IsOutputRedirected)
    {
        Console.WriteLine(); // end a progress line left open in a terminal
    }

    Console.Error.WriteLine($"train: {ex.Message.ReplaceLineEndings(" ")}");
    return 2;
}
