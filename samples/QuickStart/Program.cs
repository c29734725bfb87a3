// QuickStart (foundation version): proves the TorchSharp path end to end on this machine.
// A tiny conv net learns where a bright square sits (four quadrants) in generated 32x32 images.
// The built-in causal benchmark and the ResNet-18 baseline replace this in the Core issue.
using System.Diagnostics;
using CausalVision.Runtime;
using TorchSharp;
using static TorchSharp.torch;

try
{
    TorchRuntime.EnsureAvailable();
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 3;
}

var epochs = args.Length > 0 && int.TryParse(args[0], out var e) ? e : 3;
Console.WriteLine($"CausalVision QuickStart — {TorchRuntime.Describe()}");
manual_seed(42);

(Tensor X, Tensor Y) MakeSplit(int n, int seed)
{
    var rng = new Random(seed);
    var x = new float[n * 32 * 32];
    var y = new long[n];
    for (var i = 0; i < n; i++)
    {
        var q = rng.Next(4);
        y[i] = q;
        var r0 = (q / 2) * 16 + rng.Next(0, 10);
        var c0 = (q % 2) * 16 + rng.Next(0, 10);
        for (var p = 0; p < 32 * 32; p++)
        {
            x[i * 1024 + p] = (float)(rng.NextDouble() * 0.5);
        }

        for (var r = r0; r < r0 + 6; r++)
        {
            for (var c = c0; c < c0 + 6; c++)
            {
                x[i * 1024 + r * 32 + c] = 1f;
            }
        }
    }

    return (tensor(x, [n, 1, 32, 32]), tensor(y));
}

var (trainX, trainY) = MakeSplit(2048, 1);
var (testX, testY) = MakeSplit(512, 2);
using var model = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, padding: 1), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
    nn.Flatten(), nn.Linear(16 * 16, 4));
using var optimizer = optim.Adam(model.parameters(), 3e-3);
var watch = Stopwatch.StartNew();
const int batch = 64;
for (var epoch = 1; epoch <= epochs; epoch++)
{
    model.train();
    using var perm = randperm(trainX.shape[0]);
    double lossSum = 0;
    var steps = 0;
    for (long start = 0; start < trainX.shape[0]; start += batch)
    {
        using var scope = NewDisposeScope();
        var idx = perm.narrow(0, start, Math.Min(batch, trainX.shape[0] - start));
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.call(trainX.index_select(0, idx)), trainY.index_select(0, idx));
        loss.backward();
        optimizer.step();
        lossSum += loss.item<float>();
        steps++;
    }

    model.eval();
    double acc;
    using (no_grad())
    using (var scope = NewDisposeScope())
    {
        acc = model.call(testX).argmax(1).eq(testY).to(float32).mean().item<float>();
    }

    Console.WriteLine($"epoch {epoch}/{epochs}  loss {lossSum / steps:F4}  test Acc@1 {acc:P1}  ({watch.Elapsed.TotalSeconds:F1}s)");
}

trainX.Dispose();
trainY.Dispose();
testX.Dispose();
testY.Dispose();
return 0;
