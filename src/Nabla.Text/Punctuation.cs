namespace Nabla.Text;

/// <summary>How a <see cref="Tokenizer"/> treats characters that are not letters.</summary>
public enum Punctuation
{
    /// <summary>Leave the text as it is.</summary>
    Keep,

    /// <summary>
    /// Every run of characters other than ASCII letters becomes one space, then the line is trimmed
    /// (d2l's <c>re.sub('[^A-Za-z]+', ' ', line).strip()</c> for The Time Machine).
    /// </summary>
    LettersOnly,

    /// <summary>
    /// Non-breaking spaces become spaces and a space is inserted before each of <c>, . ! ?</c> that
    /// follows a non-space, so each becomes a word of its own (d2l's <c>preprocess_nmt</c>).
    /// </summary>
    Separate,
}
