using CausalVision.Data;
using CausalVision.Data.Layouts;

namespace CausalVision.Tests.Data.Layouts;

public sealed class Food101DatasetTests : IDisposable
{
    private readonly LayoutFixture f = new();

    public Food101DatasetTests()
    {
        f.Text("food-101/meta/classes.txt", "apple_pie", "beef_tartare", "caesar_salad");
        f.Text("food-101/meta/train.txt", "apple_pie/1005649", "caesar_salad/22", "beef_tartare/7");
        f.Text("food-101/meta/test.txt", "apple_pie/3");
        foreach (var id in new[] { "apple_pie/1005649", "caesar_salad/22", "beef_tartare/7", "apple_pie/3" })
        {
            f.Jpeg($"food-101/images/{id}.jpg");
        }

        // Ingredient-101 lists classes in its own order, with display names.
        f.Text("ingredients-101/annotations/classes.txt", "apple pie", "caesar salad", "beef tartare");
        f.Text("ingredients-101/annotations/ingredients_simplified.txt", "apple,flour,sugar", "lettuce,cheese,crouton", "beef,egg");
        f.Text("ingredients-101/annotations/ingredients.txt", "apple,flour,white sugar", "romaine lettuce,parmesan", "beef,egg yolk");
        f.Text("ingredients-101/annotations/val_images.txt", "caesar_salad/22", "apple_pie/3.jpg");
        f.Text("ingredients-101/annotations/val_labels.txt", "2", "0");
    }

    private string Food => f.PathOf("food-101");

    private string Ingredients => f.PathOf("ingredients-101");

    public void Dispose() => f.Dispose();

    [Fact]
    public void Load_Food101Only_ClassesFromMetaNoTags()
    {
        var ds = Food101Dataset.Load(Food, "train");
        Assert.Equal(["apple_pie", "beef_tartare", "caesar_salad"], ds.Info.Classes);
        Assert.Equal(["apple_pie/1005649", "caesar_salad/22", "beef_tartare/7"], ds.Entries.Select(e => e.Id));
        Assert.Equal([0, 2, 1], ds.Entries.Select(e => e.Label));
        Assert.Equal(0, ds.Info.TagCount);
        var s = ds.GetRaw(0);
        Assert.Equal((3, 4, 4), (s.Image.Channels, s.Image.Height, s.Image.Width));
    }

    [Fact]
    public void Load_WithIngredients_TagsPerClassMatchedByName()
    {
        var ds = Food101Dataset.Load(Food, "train", new Food101Options { IngredientsRoot = Ingredients });
        Assert.Equal(["apple", "beef", "cheese", "crouton", "egg", "flour", "lettuce", "sugar"], ds.Info.Tags);
        Assert.Equal(["apple", "flour", "sugar"], ds.Entries[0].Tags.Select(t => ds.Info.Tags[t]));
        Assert.Equal(["cheese", "crouton", "lettuce"], ds.Entries[1].Tags.Select(t => ds.Info.Tags[t]));
        Assert.Equal(["beef", "egg"], ds.Entries[2].Tags.Select(t => ds.Info.Tags[t]));
    }

    [Fact]
    public void Load_CompleteIngredients_UsesIngredientsTxt()
    {
        var ds = Food101Dataset.Load(Food, "test", new Food101Options { IngredientsRoot = Ingredients, SimplifiedIngredients = false });
        Assert.Contains("white sugar", ds.Info.Tags);
        Assert.Equal(["apple", "flour", "white sugar"], ds.Entries[0].Tags.Select(t => ds.Info.Tags[t]));
    }

    [Fact]
    public void Load_Ingredient101Split_LabelsFileCrossChecked()
    {
        var ds = Food101Dataset.Load(Food, "val", new Food101Options { IngredientsRoot = Ingredients, SplitSource = Food101SplitSource.Ingredient101 });
        Assert.Equal(["caesar_salad/22", "apple_pie/3"], ds.Entries.Select(e => e.Id));
        Assert.Equal([2, 0], ds.Entries.Select(e => e.Label));
    }

    [Fact]
    public void Load_LabelsFileDisagrees_ThrowsNeverSilentLabel()
    {
        f.Text("ingredients-101/annotations/val_labels.txt", "1", "0");
        var ex = Assert.Throws<InvalidDataException>(() => Food101Dataset.Load(Food, "val", new Food101Options { IngredientsRoot = Ingredients, SplitSource = Food101SplitSource.Ingredient101 }));
        Assert.Contains("val_labels.txt:1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("disagrees", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LabelOutOfRange_Throws()
    {
        f.Text("ingredients-101/annotations/val_labels.txt", "7", "0");
        var ex = Assert.Throws<InvalidDataException>(() => Food101Dataset.Load(Food, "val", new Food101Options { IngredientsRoot = Ingredients, SplitSource = Food101SplitSource.Ingredient101 }));
        Assert.Contains("out of range", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownClassAndMissingImage_SkipAndReport()
    {
        f.Text("food-101/meta/train.txt", "apple_pie/1005649", "pizza/1", "beef_tartare/404", "../../x/1");
        var ds = Food101Dataset.Load(Food, "train", new Food101Options { ErrorPolicy = DataErrorPolicy.SkipAndReport });
        Assert.Equal(1, ds.Count);
        Assert.Equal(3, ds.Report.SkippedCount);
        Assert.Contains("unknown class 'pizza'", ds.Report.Errors[0].Reason, StringComparison.Ordinal);
        Assert.Contains("does not exist", ds.Report.Errors[1].Reason, StringComparison.Ordinal);
        Assert.Equal(4, ds.Report.Errors[2].Line);
    }

    [Fact]
    public void Load_EmptyIngredientList_FailsBecauseTagsRequired()
    {
        f.Text("ingredients-101/annotations/ingredients_simplified.txt", "apple,flour,sugar", " ", "beef,egg");
        var ex = Assert.Throws<InvalidDataException>(() => Food101Dataset.Load(Food, "train", new Food101Options { IngredientsRoot = Ingredients }));
        Assert.Contains("empty tag list", ex.Message, StringComparison.Ordinal);
        var lenient = Food101Dataset.Load(Food, "train", new Food101Options { IngredientsRoot = Ingredients, RequireTags = false });
        Assert.Equal(3, lenient.Count);
    }

    [Fact]
    public void Load_IngredientClassNotInFood101_Throws()
    {
        f.Text("ingredients-101/annotations/classes.txt", "apple pie", "pizza", "beef tartare");
        Assert.Throws<InvalidDataException>(() => Food101Dataset.Load(Food, "train", new Food101Options { IngredientsRoot = Ingredients }));
    }

    [Fact]
    public void Load_MissingSplitFile_ThrowsNamingIt()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Food101Dataset.Load(Food, "val"));
        Assert.Contains("val.txt", ex.Message, StringComparison.Ordinal);
    }
}
